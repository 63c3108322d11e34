"""CLI tests; ``cli.clirun`` holds their helpers."""
