"""The script subcommands, one module each (`mitui inventory`: inventory.py). Each has ``run(args, open_session)``;
tui.launch gives it the session factory for the tenant the connection flags name."""
