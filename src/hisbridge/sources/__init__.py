"""Where records come from: HIS database polling, HIS push, files."""
