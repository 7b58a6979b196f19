"""Other institutions' records: index and documents behind a current grant, cache, viewer."""
