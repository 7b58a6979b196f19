from hisbridge.cli import main

main()
