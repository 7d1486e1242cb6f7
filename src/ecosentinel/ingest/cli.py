"""CLI commands of this area (filled in by its work)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
