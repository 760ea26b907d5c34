"""`govshare sharing ...` commands."""

import typer

app = typer.Typer(help="Sharing workflow 共享", no_args_is_help=True)
