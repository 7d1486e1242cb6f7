"""Benchmark of the measurement store: append throughput as the ingest server drives it, and window reads.

``python -m ecosentinel.bench.store --url sqlite:///data/bench.db --packets 200000`` (the database is
migrated first; use an empty database). Figures and the layout decision are in docs/store.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import time
from typing import Any

import polars as pl

from ecosentinel.database import upgrade
from ecosentinel.readings import READING_SCHEMA, DataKind, Source
from ecosentinel.store.base import RawPacket, open_store

logger = logging.getLogger(__name__)

FACTORS = ["w01018", "w21003", "w21011", "w21001", "w01001", "w00000", "w01010", "w01014"]
_EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _mn(station: int) -> str:
    return f"3304{station:020d}"


def _batch(
    first_packet: int, count: int, stations: int, factors: int
) -> tuple[pl.DataFrame, list[RawPacket]]:
    """``count`` minute packets: packet i is station i % stations at minute i // stations."""
    idx = pl.int_range(first_packet, first_packet + count, eager=True, dtype=pl.Int64)
    packets = pl.DataFrame({"i": idx}).with_columns(
        mn=pl.format("3304{}", (pl.col("i") % stations).cast(pl.Utf8).str.zfill(20)),
        time=pl.lit(_EPOCH) + pl.duration(minutes=pl.col("i") // stations),
    )
    codes = pl.DataFrame({"code": FACTORS[:factors], "k": list(range(factors))})
    frame = (
        packets.join(codes, how="cross")
        .with_columns(
            kind=pl.lit(DataKind.MINUTE.value),
            source=pl.lit(Source.PLATFORM.value),
            value=((pl.col("i") * 7 + pl.col("k") * 13) % 1000).cast(pl.Float64) / 10.0,
            vmin=pl.lit(1.0),
            vmax=pl.lit(9.0),
            cou=pl.lit(None, pl.Float64),
            zs=pl.lit(None, pl.Float64),
            flag=pl.lit("N"),
        )
        .select(list(READING_SCHEMA))
        .cast(READING_SCHEMA)  # type: ignore[arg-type]
    )
    raws: list[RawPacket] = []
    for i, mn, t in packets.select("i", "mn", "time").iter_rows():
        stamp = t.strftime("%Y%m%d%H%M%S")
        body = f"QN={stamp}000;ST=32;CN=2051;PW=123456;MN={mn};Flag=4;CP=&&DataTime={stamp};" + ";".join(
            f"{c}-Min=1.0,{c}-Avg={(i * 7 + k * 13) % 1000 / 10.0},{c}-Max=9.0,{c}-Flag=N"
            for k, c in enumerate(FACTORS[:factors])
        )
        raw = f"##{len(body):04d}{body}&&ABCD\r\n".encode()
        raws.append(RawPacket(_EPOCH, "127.0.0.1:40000", mn, "2051", f"{stamp}000", t, raw))
    return frame, raws


def bench_store(
    url: str,
    packets: int,
    *,
    stations: int = 800,
    factors: int = 8,
    batch_packets: int = 2000,
    with_raw: bool = True,
) -> dict[str, Any]:
    """Append ``packets`` minute packets of ``factors`` readings in group commits; measure throughput."""
    upgrade(url)
    store = open_store(url)
    try:
        batches = [
            _batch(first, min(batch_packets, packets - first), stations, factors)
            for first in range(0, packets, batch_packets)
        ]
        readings = sum(f.height for f, _ in batches)
        inserted = 0
        started = time.perf_counter()
        for frame, raws in batches:
            inserted += store.append(frame, raws if with_raw else ())
        append_s = time.perf_counter() - started

        started = time.perf_counter()
        frame0, raws0 = batches[0]
        again = store.append(frame0, raws0 if with_raw else ())
        resend_s = time.perf_counter() - started

        minutes = packets // stations + 1
        started = time.perf_counter()
        window = store.read_window(
            start=_EPOCH, end=_EPOCH + dt.timedelta(minutes=minutes), mns=[_mn(stations // 2)]
        )
        read_point_s = time.perf_counter() - started
        started = time.perf_counter()
        latest = store.latest()
        latest_s = time.perf_counter() - started
    finally:
        store.close()
    return {
        "backend": url.split(":", 1)[0],
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "packets": packets,
        "readings": readings,
        "inserted": inserted,
        "batch_packets": batch_packets,
        "with_raw": with_raw,
        "append_s": round(append_s, 3),
        "packets_per_s": round(packets / append_s),
        "readings_per_s": round(readings / append_s),
        "resend_batch_inserted": again,
        "resend_batch_s": round(resend_s, 4),
        "read_point_rows": window.height,
        "read_point_s": round(read_point_s, 4),
        "latest_rows": latest.height,
        "latest_s": round(latest_s, 4),
    }


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: print one JSON object with the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--packets", type=int, default=200_000)
    parser.add_argument("--stations", type=int, default=800)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--no-raw", action="store_true")
    args = parser.parse_args(argv)
    result = bench_store(
        args.url, args.packets, stations=args.stations, batch_packets=args.batch, with_raw=not args.no_raw
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
