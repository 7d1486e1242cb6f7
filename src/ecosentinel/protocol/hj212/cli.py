"""CLI for the HJ 212 codec (filled in by the codec work)."""

import typer

hj212_app = typer.Typer(no_args_is_help=True)
