"""`govshare library ...` commands."""

import typer

app = typer.Typer(help="library", no_args_is_help=True)
