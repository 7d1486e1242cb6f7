"""Benchmark command of this area (filled in by its work)."""

import typer


def register(bench_app: typer.Typer) -> None:
    """Add this benchmark's command to ``ecosentinel bench``."""
