"""The columnar archive with real files (both backends): build, verify, tampering and deletion named,
late data sealed as a new part, reading back equals the store, screening from it equals the store."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecosentinel.archive import messages
from ecosentinel.archive.build import build_archive, days_of_frame
from ecosentinel.archive.chain import read_chain, verify
from ecosentinel.archive.layout import PACKETS, READINGS, open_layout
from ecosentinel.archive.reader import ArchiveReader, archive_url
from ecosentinel.cli import app
from ecosentinel.readings import DataKind, Reading, readings_frame
from ecosentinel.screening.contextload import load_contexts
from ecosentinel.screening.executor import execute
from ecosentinel.store.base import MeasurementStore, RawPacket
from tests.screening.test_run_service import Seeded, seed

runner = CliRunner()


def _packet(mn: str, at: dt.datetime) -> RawPacket:
    body = f"QN=20240506000000000;ST=32;CN=2061;PW=123456;MN={mn};Flag=5;CP=&&DataTime=x&&"
    return RawPacket(
        received_at=at + dt.timedelta(minutes=5),
        peer="10.0.0.7:50312",
        mn=mn,
        cn="2061",
        qn="20240506000000000",
        data_time=at,
        raw=f"##0000{body}ABCD\r\n".encode(),
    )


@pytest.fixture
def seeded(engine: sa.Engine, store: MeasurementStore) -> Seeded:
    data = seed(engine, store)
    packets = [_packet(data.bad_mn, data.start + dt.timedelta(hours=h)) for h in (1, 30)]
    store.append(readings_frame([]), packets)
    return data


def _build(store: MeasurementStore, url: str, root: Path) -> int:
    return build_archive(store, root, url=url).partitions


def test_build_verify_and_read_back(
    seeded: Seeded, store: MeasurementStore, migrated_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "archive"
    assert _build(store, migrated_url, root) > 0
    layout = open_layout(root)
    entries = read_chain(layout)
    days = {d.isoformat() for d in days_of_frame(seeded.result.readings)}
    assert {e.day for e in entries if e.dataset == READINGS} == days
    assert {e.dataset for e in entries} == {READINGS, PACKETS}
    assert all((root / e.path).is_file() for e in entries)
    assert verify(layout) is None
    reader = ArchiveReader(root)
    full = store.read_window(start=seeded.start, end=seeded.end + dt.timedelta(days=1))
    assert full.height == seeded.result.readings.height
    assert_frame_equal(reader.read_window(start=seeded.start, end=seeded.end + dt.timedelta(days=1)), full)
    # a point and a window crossing midnight, and the other filters, as the store answers them
    start, end = seeded.start + dt.timedelta(hours=20), seeded.start + dt.timedelta(hours=27)
    for kwargs in (
        {"mns": [seeded.clean_mn]},
        {"mns": [seeded.bad_mn], "codes": ["w01018"], "kinds": [DataKind.HOUR]},
        {"kinds": [DataKind.MINUTE]},
    ):
        expected = store.read_window(start=start, end=end, **kwargs)
        assert expected.height > 0 or kwargs.get("kinds") == [DataKind.MINUTE]
        assert_frame_equal(reader.read_window(start=start, end=end, **kwargs), expected)
    assert reader.list_points() == store.list_points()
    assert_frame_equal(reader.latest(), store.latest())
    window = (seeded.start, seeded.start + dt.timedelta(days=3))
    assert reader.raw_packets(mn=seeded.bad_mn, start=window[0], end=window[1]) == store.raw_packets(
        mn=seeded.bad_mn, start=window[0], end=window[1]
    )
    # building again seals nothing: the store did not change
    assert _build(store, migrated_url, root) == 0
    assert len(read_chain(layout)) == len(entries)


def test_late_data_is_sealed_as_a_new_part_holding_only_new_rows(
    seeded: Seeded, store: MeasurementStore, migrated_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "archive"
    _build(store, migrated_url, root)
    before = read_chain(open_layout(root))
    late_time = seeded.start + dt.timedelta(hours=3, minutes=0, seconds=7)
    late = readings_frame([Reading(seeded.bad_mn, "w99999", DataKind.MINUTE, late_time, 1.5)])
    assert store.append(late) == 1
    first_day = min(days_of_frame(seeded.result.readings))
    result = build_archive(store, root, url=migrated_url, first=first_day)
    assert result.partitions == 1
    (entry,) = result.entries
    assert entry.part == 1
    assert entry.rows == 1
    assert entry.seq == len(before)
    assert entry.path.endswith("part-00001.parquet")
    assert verify(open_layout(root)) is None
    reader = ArchiveReader(root)
    got = reader.read_window(start=late_time, end=late_time + dt.timedelta(seconds=1), codes=["w99999"])
    assert got["value"].to_list() == [1.5]


def test_one_changed_byte_is_named(
    seeded: Seeded, store: MeasurementStore, migrated_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "archive"
    _build(store, migrated_url, root)
    entries = read_chain(open_layout(root))
    victim = entries[len(entries) // 2]
    target = root / victim.path
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    problem = verify(open_layout(root))
    assert problem is not None
    assert problem.path == victim.path
    assert problem.seq == victim.seq
    assert problem.message == messages.PARTITION_TAMPERED.format(seq=victim.seq, path=victim.path)
    result = runner.invoke(app, ["archive", "verify", "--archive", str(root)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [problem.message]
    assert victim.path in lines[0]
    assert "已被改动" in lines[0]


def test_a_deleted_partition_is_reported(
    seeded: Seeded, store: MeasurementStore, migrated_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "archive"
    _build(store, migrated_url, root)
    entries = read_chain(open_layout(root))
    victim = entries[-1]
    (root / victim.path).unlink()
    result = runner.invoke(app, ["archive", "verify", "--archive", str(root)])
    assert result.exit_code == 1
    assert result.output.strip() == messages.PARTITION_MISSING.format(seq=victim.seq, path=victim.path)


def test_an_edited_chain_entry_breaks_the_chain_there(
    seeded: Seeded, store: MeasurementStore, migrated_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "archive"
    _build(store, migrated_url, root)
    chain = root / "chain.jsonl"
    lines = chain.read_text(encoding="utf-8").splitlines()
    edited = json.loads(lines[1])
    edited["rows"] += 1  # e.g. hiding a removed row
    lines[1] = json.dumps(edited)
    chain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problem = verify(open_layout(root))
    assert problem is not None
    assert problem.seq == 1
    assert problem.message == messages.ENTRY_BROKEN.format(seq=1, path=edited["path"])


def test_a_file_outside_the_chain_is_reported(
    seeded: Seeded, store: MeasurementStore, migrated_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "archive"
    _build(store, migrated_url, root)
    stray = root / "readings" / "day=2024-05-06" / "bucket=00" / "part-00099.parquet"
    stray.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"mn": ["x"]}).write_parquet(stray)
    problem = verify(open_layout(root))
    assert problem is not None
    assert problem.path == "readings/day=2024-05-06/bucket=00/part-00099.parquet"


def test_cli_build_list_verify(seeded: Seeded, migrated_url: str, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    built = runner.invoke(app, ["archive", "build", "--archive", str(root), "--database-url", migrated_url])
    assert built.exit_code == 0, built.output
    assert "归档完成" in built.output
    listed = runner.invoke(app, ["archive", "list", "--archive", str(root), "--day", "2024-05-06"])
    assert listed.exit_code == 0, listed.output
    rows = listed.output.strip().splitlines()
    assert rows[0].split("\t") == list(messages.LIST_HEADERS)
    assert all("\t2024-05-06\t" in row for row in rows[1:])
    assert len(rows) > 1
    ok = runner.invoke(app, ["archive", "verify", "--archive", str(root)])
    assert ok.exit_code == 0
    assert "归档校验通过" in ok.output
    again = runner.invoke(app, ["archive", "build", "--archive", str(root), "--database-url", migrated_url])
    assert again.exit_code == 0
    assert "没有需要封存的新数据" in again.output
    missing = runner.invoke(app, ["archive", "verify", "--archive", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1
    assert "不是归档目录" in missing.output


def test_screening_from_the_archive_equals_screening_the_store(
    seeded: Seeded, engine: sa.Engine, store: MeasurementStore, migrated_url: str, tmp_path: Path
) -> None:
    root = tmp_path / "archive"
    _build(store, migrated_url, root)
    mns = sorted(seeded.enterprise_of)
    with Session(engine) as session:
        contexts = load_contexts(session, mns, seeded.start, seeded.end)
    local = execute(migrated_url, mns, seeded.start, seeded.end, contexts, store=store)
    archived = execute(migrated_url, mns, seeded.start, seeded.end, contexts, store=ArchiveReader(root))
    assert local.findings
    assert [f.to_dict() for f in archived.findings] == [f.to_dict() for f in local.findings]
    assert archived.readings == local.readings
    # a process pool whose workers open the archive from its URL
    pooled = execute(archive_url(root), mns, seeded.start, seeded.end, contexts, workers=2, chunk_points=1)
    assert pooled.pooled
    assert [f.to_dict() for f in pooled.findings] == [f.to_dict() for f in local.findings]


def test_screening_from_the_archive_reads_points_grouped_by_bucket(
    seeded: Seeded, store: MeasurementStore, migrated_url: str, tmp_path: Path
) -> None:
    from ecosentinel.screening.executor import chunks, read_order

    root = tmp_path / "archive"
    _build(store, migrated_url, root)
    reader = ArchiveReader(root)
    mns = [f"33040000000000{k:04d}000001" for k in range(40)]
    ordered = read_order(archive_url(root), mns)
    assert sorted(ordered) == sorted(mns)
    assert ordered == read_order("unused", mns, reader)
    buckets = [reader.layout.bucket_of(mn) for mn in ordered]
    assert buckets == sorted(buckets)
    # a chunk of 8 reads fewer bucket directories per day than chunks in name order do
    per_chunk = [len({reader.layout.bucket_of(mn) for mn in c}) for c in chunks(ordered, 8)]
    by_name = [len({reader.layout.bucket_of(mn) for mn in c}) for c in chunks(sorted(mns), 8)]
    assert sum(per_chunk) < sum(by_name)
    # the store and a path that is no archive keep the order given
    assert read_order(migrated_url, mns) == mns
    assert read_order(archive_url(tmp_path / "nowhere"), mns) == mns
