from cutover.console.entry import main

main()
