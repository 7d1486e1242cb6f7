"""Every command, walked from the CLI app (a new command is covered without editing this test), run with the
minimum arguments its ``--help`` asks for against an empty data directory, an unreachable PostgreSQL URL and
a data directory that cannot be created: it may refuse, but in one line, never with a traceback."""

from __future__ import annotations

import enum
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from ecosentinel.cli import app

# Commands that serve until stopped or run for minutes by design; their start-up paths are tested elsewhere
# (tests/ingest, tests/web, the bench tests).
LONG_RUNNING = {
    "serve",
    "ingest",
    "demo",
    "bench decode",
    "bench city",
    "bench detect",
    "bench detect-import",
    "bench detect-live",
    "bench hostile",
    "bench ingest",
    "bench screen",
}


def _leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in sorted(subcommands.items()):
            yield from _leaves(sub, (*path, name))
    else:
        yield path, command


def _value(param: Any, tmp: Path) -> str:
    """A syntactically valid value of the parameter's declared type (files do not exist)."""
    annotation = param.type_descriptor.annotation
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return str(next(iter(annotation)).value)
    if annotation is int:
        return "1"
    if annotation is float:
        return "1.5"
    if annotation is Path:
        return str(tmp / f"{param.name}.missing")
    return "x"


def _minimal_args(command: Any, tmp: Path) -> list[str]:
    args: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        if param.param_type_name == "option":
            args += [param.opts[0], _value(param, tmp)]
        else:
            args.append(_value(param, tmp))
    return args


COMMANDS = [
    (" ".join(path), command)
    for path, command in _leaves(get_command(app))
    if " ".join(path) not in LONG_RUNNING
]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["empty-data-dir", "unreachable-postgresql", "unusable-data-dir"])
def environment(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    env = {"ECOSENTINEL_DATA_DIR": str(tmp_path / "data"), "ECOSENTINEL_DATABASE_URL": ""}
    if request.param == "unreachable-postgresql":
        env["ECOSENTINEL_DATABASE_URL"] = f"postgresql+psycopg://u:secret@127.0.0.1:{_closed_port()}/none"
    elif request.param == "unusable-data-dir":
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        env["ECOSENTINEL_DATA_DIR"] = str(blocker / "data")
    return env


def test_the_walk_finds_the_commands() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"import readings", "warnings list", "audit verify", "users list", "report monthly"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_no_command_ends_in_a_traceback(
    name: str, command: Any, environment: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a command run from another directory
    for key, value in environment.items():
        if value:
            monkeypatch.setenv(key, value)
        else:
            monkeypatch.delenv(key, raising=False)
    args = [*name.split(), *_minimal_args(command, tmp_path)]
    result = CliRunner().invoke(app, args, input="")
    shown = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in shown, f"ecosentinel {' '.join(args)}:\n{shown}"
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), (
            f"ecosentinel {' '.join(args)} raised {result.exception!r}:\n{shown}"
        )
    if result.exit_code != 0:
        message = [line for line in result.stderr.splitlines() if line.strip() and " INFO " not in line]
        assert message, f"ecosentinel {' '.join(args)} failed silently (exit {result.exit_code})"
        assert "secret" not in shown  # the password of the URL is never echoed
    if environment["ECOSENTINEL_DATABASE_URL"]:
        # nothing may have been created locally for a PostgreSQL configuration
        assert not (Path(environment["ECOSENTINEL_DATA_DIR"]) / "ecosentinel.db").exists()
    assert os.getcwd() == str(tmp_path)
