"""`kill -9` of the receiver during a run loses no acknowledged packet, acknowledged after the store's commit
or (journal mode) after the journal's fsync."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
from collections import deque
from pathlib import Path

import pytest

from ecosentinel.protocol.hj212 import decode
from ecosentinel.store.base import open_store
from tests.ingest.conftest import FACTORS, MN, T0
from tests.ingest.test_server import minute_packet

KILL_AFTER_ACKS = 300


def start_receiver(url: str, data_dir: Path, *, journal: bool = False) -> tuple[subprocess.Popen[str], int]:
    env = dict(os.environ, ECOSENTINEL_DATA_DIR=str(data_dir), ECOSENTINEL_DATABASE_URL=url)
    mode = "--journal" if journal else "--no-journal"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecosentinel", "ingest", "--port", "0", mode],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("ecosentinel-ingest ready"), line
    return proc, int(line.split("port=")[1])


async def send_until_killed(port: int, proc: subprocess.Popen[str]) -> set[int]:
    """Pipeline packets (8 in flight) and record which minutes were acknowledged, then kill -9 mid-stream."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    in_flight: deque[int] = deque()
    acked: set[int] = set()
    qn_of = {}
    minute = 0
    buf = b""
    try:
        while True:
            while len(in_flight) < 8:
                packet = minute_packet(minute)
                qn_of[minute] = decode(packet).qn
                writer.write(packet)
                in_flight.append(minute)
                minute += 1
            await writer.drain()
            chunk = await reader.read(4096)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\r\n")
            for line in lines:
                reply = decode(line + b"\r\n")
                done = in_flight.popleft()
                assert reply.qn == qn_of[done]
                acked.add(done)
            if len(acked) >= KILL_AFTER_ACKS and proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)  # packets are still in flight at this moment
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()
    return acked


@pytest.mark.parametrize("journal", [False, True], ids=["store", "journal"])
async def test_kill_9_loses_no_acknowledged_packet(
    registered_url: str, tmp_path: Path, journal: bool
) -> None:
    proc, port = start_receiver(registered_url, tmp_path, journal=journal)
    try:
        acked = await send_until_killed(port, proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) >= KILL_AFTER_ACKS
    if journal:
        # What the killed receiver journaled and its loader had not stored waits in the journal; the next
        # start stores it (its loader drains the journal when the receiver is stopped in order).
        again, _ = start_receiver(registered_url, tmp_path, journal=True)
        again.terminate()
        assert again.wait(timeout=120) == 0
    store = open_store(registered_url)
    frame = store.read_window(
        start=T0.astimezone(dt.UTC), end=(T0 + dt.timedelta(days=10)).astimezone(dt.UTC), mns=[MN]
    )
    store.close()
    stored_minutes = {
        int((t - T0.astimezone(dt.UTC)).total_seconds() // 60)
        for t in frame.filter(frame["code"] == "w01018")["time"].to_list()
    }
    missing = sorted(acked - stored_minutes)
    assert not missing, f"acknowledged but lost: {missing[:10]}"
    # Every stored packet is whole: all its factors, never a partial write.
    counts = frame.group_by("time").len()["len"].unique().to_list()
    assert counts == [len(FACTORS)]
