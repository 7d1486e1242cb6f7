"""CLI for imports and migrations (filled in by the store work)."""

import typer

import_app = typer.Typer(no_args_is_help=True)
db_app = typer.Typer(no_args_is_help=True)
