from cutover.console.cli import main

main()
