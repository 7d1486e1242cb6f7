"""``ecosentinel simulate``: stations with injected falsification, written to files or sent over HJ 212."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ecosentinel.errors import EcoSentinelError, ValidationError
from ecosentinel.readings import CST, DataKind
from ecosentinel.simulator import messages
from ecosentinel.simulator.build import simulate
from ecosentinel.simulator.models import ScenarioSpec, SimulationConfig
from ecosentinel.simulator.outputs import write_outputs
from ecosentinel.simulator.scenarios import CATALOGUE


def parse_scenario(text: str) -> ScenarioSpec:
    """``id[@station][:severity]``, station being an index or an MN, e.g. ``dilution@2:0.5``."""
    body, severity = text.strip(), 1.0
    if ":" in body:
        body, _, sev_text = body.rpartition(":")
        try:
            severity = float(sev_text)
        except ValueError as exc:
            raise ValidationError(messages.CLI_BAD_SCENARIO.format(text=text)) from exc
    scenario_id, _, station_text = body.partition("@")
    if not scenario_id:
        raise ValidationError(messages.CLI_BAD_SCENARIO.format(text=text))
    station: int | str | None = None
    if station_text:
        station = int(station_text) if station_text.isdigit() and len(station_text) < 10 else station_text
    return ScenarioSpec(scenario_id, station=station, severity=severity)


def parse_server(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValidationError(messages.CLI_BAD_SERVER.format(text=text))
    return host, int(port)


def simulate_command(
    water: Annotated[int, typer.Option(help="Number of wastewater stations.")] = 3,
    gas: Annotated[int, typer.Option(help="Number of flue-gas stations.")] = 2,
    days: Annotated[float, typer.Option(help="Days to simulate.")] = 7.0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 0,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            help="Falsification to inject: id[@station][:severity], repeatable. Ids: " + ", ".join(CATALOGUE)
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="Start time, ISO 8601 (CST unless an offset is given).")
    ] = None,
    rtd: Annotated[bool, typer.Option("--rtd", help="Also real-time data (CN 2011).")] = False,
    daily: Annotated[bool, typer.Option("--daily", help="Also daily data (CN 2031).")] = False,
    out: Annotated[Path | None, typer.Option(help="Write readings.csv, registry.yaml, *.jsonl here.")] = None,
    server: Annotated[str | None, typer.Option(help="Send to an HJ 212 server at HOST:PORT.")] = None,
    live: Annotated[bool, typer.Option("--live", help="Keep sending current data every minute.")] = False,
    speed: Annotated[float, typer.Option(help="Live mode: simulated minutes per wall-clock minute.")] = 1.0,
    concurrency: Annotated[int, typer.Option(help="Stations sending at once (non-live).")] = 16,
) -> None:
    """Simulate monitoring stations (模拟监测站点), optionally with injected falsification scenarios."""
    from ecosentinel.simulator.sender import send_live, send_to_server

    try:
        kinds = [DataKind.MINUTE, DataKind.HOUR] + ([DataKind.DAY] if daily else [])
        config = SimulationConfig(
            seed=seed,
            days=days,
            water=water,
            gas=gas,
            scenarios=[parse_scenario(s) for s in scenario or []],
            kinds=tuple(kinds),
            include_rtd=rtd,
        )
        if start:
            t = dt.datetime.fromisoformat(start)
            config.start = t if t.tzinfo else t.replace(tzinfo=CST)
        if out is None and server is None:
            raise ValidationError(messages.CLI_NOTHING)
        target = parse_server(server) if server else None
        if live and target:
            typer.echo(messages.CLI_LIVE.format(speed=speed))
            stats = asyncio.run(send_live(config, target[0], target[1], speed=speed))
            typer.echo(
                messages.CLI_SENT.format(
                    packets=stats.packets, acked=stats.acked, reconnects=stats.reconnects
                )
            )
            return
        result = simulate(config)
        if out is not None:
            write_outputs(result, out)
            typer.echo(
                messages.CLI_WROTE.format(
                    stations=len(result.points()),
                    rows=result.readings.height,
                    labels=len(result.labels),
                    out=out,
                )
            )
        if target:
            stats = asyncio.run(send_to_server(result, target[0], target[1], concurrency=concurrency))
            typer.echo(
                messages.CLI_SENT.format(
                    packets=stats.packets, acked=stats.acked, reconnects=stats.reconnects
                )
            )
    except EcoSentinelError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("simulate", help="Simulate stations with injectable falsification (模拟站点与造假场景).")(
        simulate_command
    )
