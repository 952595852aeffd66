"""`python -m bot` runs the rotation-bot command line."""

from bot.cli.main import main

main()
