"""`python -m queue_server` is the `govhall` command."""

from .ops.cli import main

main()
