from quayside.entry import main

main()
