from ecosentinel.cli import main

main()
