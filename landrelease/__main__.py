from landrelease.cli import main

main()
