"""Data migrations carry existing rows across, both ways, on both backends."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from ecosentinel.database import alembic_config, create_engine, upgrade
from ecosentinel.enforcement.models import DataExtract, EnforcementWarning, WarningFinding
from ecosentinel.registry.models import Device
from ecosentinel.screening.models import PointDayScore, ScreeningFinding

_counter = itertools.count(1)


def downgrade(url: str, revision: str) -> None:
    """Take the database down to ``revision`` (as ``database.upgrade`` takes it up)."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()


def _filler(column: sa.Column[Any], n: int) -> Any:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return True
    if isinstance(kind, sa.Integer):
        return n
    if isinstance(kind, sa.Float):
        return 0.5
    if isinstance(kind, sa.DateTime):
        return dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n)
    if isinstance(kind, sa.Date):
        return dt.date(2026, 1, 1) + dt.timedelta(days=n)
    text = f"{column.name[:6]}{n}"
    length = getattr(kind, "length", None)
    return text[-length:] if length else text


def insert(connection: sa.Connection, table: sa.Table, **given: Any) -> int:
    """Insert a row with ``given`` values and a unique filler in every other required column; its id."""
    n = next(_counter)
    values = {
        c.name: _filler(c, n)
        for c in table.columns
        if not c.nullable and not c.primary_key and c.server_default is None and c.name not in given
    }
    row_id: int = connection.execute(
        sa.insert(table).values({**values, **given}).returning(table.c.id)
    ).scalar_one()
    return row_id


# (table, column, ORM attribute): the six list columns of revision 0013
LISTS = [
    ("enf_warning", "rules", EnforcementWarning.rules),
    ("enf_warning_finding", "factors", WarningFinding.factors),
    ("enf_data_extract", "codes", DataExtract.codes),
    ("screening_finding", "factors", ScreeningFinding.factors),
    ("point_day_score", "rules", PointDayScore.rules),
    ("device", "factor_codes", Device.factor_codes),
]


def test_0013_turns_comma_separated_lists_into_json_arrays_and_back(database_url: str) -> None:
    upgrade(database_url, "0012")
    engine = create_engine(database_url)
    old = sa.MetaData()
    old.reflect(engine)
    t = old.tables
    written: dict[str, dict[int, str]] = {table: {} for table, _, _ in LISTS}

    def add(connection: sa.Connection, table: str, column: str, text: str, **given: Any) -> int:
        row_id = insert(connection, t[table], **{column: text}, **given)
        written[table][row_id] = text
        return row_id

    with engine.begin() as c:
        enterprise = insert(c, t["enterprise"])
        point = insert(c, t["point"], enterprise_id=enterprise)
        device = add(c, "device", "factor_codes", "w01018,w21003", point_id=point)
        add(c, "device", "factor_codes", "", point_id=point)
        insert(c, t["filed_parameter"], device_id=device)
        case = insert(c, t["enf_case"])
        add(c, "enf_data_extract", "codes", "w01018", case_id=case)
        add(c, "enf_data_extract", "codes", "", case_id=case)
        warning = add(c, "enf_warning", "rules", "R04_post_exceedance_drop,R19_three_way_mismatch")
        add(c, "enf_warning", "rules", "")
        add(c, "enf_warning_finding", "factors", "w01018,w21003", warning_id=warning)
        add(c, "enf_warning_finding", "factors", "", warning_id=warning)
        insert(c, t["enf_warning_outcome"], warning_id=warning)
        add(c, "screening_finding", "factors", "a21002,a21026")
        add(c, "screening_finding", "factors", "")
        add(c, "point_day_score", "rules", "R01_constant_value")
        add(
            c, "point_day_score", "rules", ",R02_zero_negative,,R17_replay,"
        )  # stray commas, as split by hand

    def split(text: str) -> list[str]:
        return [part for part in text.split(",") if part]

    upgrade(database_url)
    with Session(engine) as session:
        for table, _column, attribute in LISTS:
            model = attribute.class_
            stored: dict[int, Any] = {i: v for i, v in session.execute(sa.select(model.id, attribute))}
            assert stored == {i: split(text) for i, text in written[table].items()}, table
            assert all(isinstance(v, list) for v in stored.values())

    downgrade(database_url, "0012")
    with engine.connect() as c:
        for table, column, _attribute in LISTS:
            rows = c.execute(sa.text(f"SELECT id, {column} FROM {table}")).all()
            assert dict(rows) == {i: ",".join(split(text)) for i, text in written[table].items()}, table
        # the columns were replaced in place, not by recreating their tables: rows that refer to them remain
        for child, count in (("filed_parameter", 1), ("enf_warning_finding", 2), ("enf_warning_outcome", 1)):
            assert c.execute(sa.text(f"SELECT count(*) FROM {child}")).scalar_one() == count, child
    engine.dispose()


def test_downgrades_keep_the_rows_that_refer_to_altered_tables(database_url: str) -> None:
    """Taking a column off a table keeps every row that refers to it (SQLite runs with foreign keys on).

    A table rebuild (alembic's batch mode on SQLite) drops the old copy, which cascades to every row that
    refers to it: a warning's findings, outcomes and case links, or sets a task's warning to NULL.
    """
    upgrade(database_url)
    engine = create_engine(database_url)
    head = sa.MetaData()
    head.reflect(engine)
    t = head.tables
    with engine.begin() as c:
        enterprise = insert(c, t["enterprise"])
        warning = insert(c, t["enf_warning"], basis_zh="依据", rules=["R01_constant_value"])
        insert(c, t["enf_warning_finding"], warning_id=warning, factors=["w01018"])
        insert(c, t["enf_warning_finding"], warning_id=warning, factors=[])
        insert(c, t["enf_warning_outcome"], warning_id=warning)
        task = insert(c, t["enf_task"], enterprise_id=enterprise, warning_id=warning)
        case = insert(c, t["enf_case"])
        c.execute(sa.insert(t["enf_case_warning"]).values(case_id=case, warning_id=warning))
        insert(c, t["maintenance_window"], status="pending", reason="calibration")
        insert(c, t["point_day_score"], basis="ordinary", rules=[])
        insert(c, t["audit_entry"])
    expected = {
        "enf_warning": 1,
        "enf_warning_finding": 2,
        "enf_warning_outcome": 1,
        "enf_case_warning": 1,
        "enf_task": 1,
        "maintenance_window": 1,
        "point_day_score": 1,
        "audit_entry": 1,
    }

    def check(step: str) -> None:
        with engine.connect() as c:
            for table, count in expected.items():
                stored = c.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                assert stored == count, (step, table)
            task_warning = c.execute(
                sa.text(f"SELECT warning_id FROM enf_task WHERE id = {task}")
            ).scalar_one()
            assert task_warning == warning, step
            reason = c.execute(sa.text("SELECT reason FROM maintenance_window")).scalar_one()
            assert reason == "calibration", step

    for revision in ("0014", "0013", "0012", "0011", "0010"):
        downgrade(database_url, revision)
        check(revision)
    inspector = sa.inspect(engine)
    assert "basis_zh" not in {column["name"] for column in inspector.get_columns("enf_warning")}
    assert "status" not in {column["name"] for column in inspector.get_columns("maintenance_window")}
    assert "scheme" in {column["name"] for column in inspector.get_columns("audit_entry")}

    upgrade(database_url)
    check("head")
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT status FROM maintenance_window")).scalar_one() == "approved"
    engine.dispose()


def test_0017_keys_findings_by_their_test_and_carries_the_references(database_url: str) -> None:
    """Stored findings get the new key (with the rule's test), and so do the warnings' attachments and the
    evidence extracts that name them; on downgrade two tests of one rule on one start fold back into one
    row (the one updated last), as the old key allowed."""
    from ecosentinel.detection.findings import Finding, Severity
    from ecosentinel.screening.service import fingerprint

    upgrade(database_url, "0016")
    engine = create_engine(database_url)
    old = sa.MetaData()
    old.reflect(engine)
    t = old.tables
    start = dt.datetime(2026, 3, 1, 2, tzinfo=dt.UTC)

    def old_key(rule: str, factors: list[str]) -> str:
        import hashlib

        return hashlib.sha1(f"MN1|{rule}|{start.isoformat()}|{','.join(factors)}".encode()).hexdigest()

    def as_finding(rule: str, factors: list[str], kind: str | None) -> Finding:
        evidence = {} if kind is None else {"kind": kind}
        return Finding("MN1", rule, tuple(factors), start, start, Severity.LOW, 0.1, evidence, "x")

    stored = [  # (rule, factors, evidence kind)
        ("R12_bunching", ["a21004"], "default"),
        ("R09_strategic_gap", ["a21002"], "pattern"),
        ("R01_constant_value", ["w01018", "w21003"], None),  # evidence without a kind (older rows)
    ]
    with engine.begin() as c:
        ids = [
            insert(
                c,
                t["screening_finding"],
                fingerprint=old_key(rule, factors),
                mn="MN1",
                rule=rule,
                start=start,
                factors=factors,
                evidence=json.dumps({"kind": kind} if kind else {"window": []}),
            )
            for rule, factors, kind in stored
        ]
        warning = insert(c, t["enf_warning"], rules=["R12_bunching"])
        attached = insert(
            c, t["enf_warning_finding"], warning_id=warning, finding_id=old_key("R12_bunching", ["a21004"])
        )
        case = insert(c, t["enf_case"])
        extract = insert(
            c, t["enf_data_extract"], case_id=case, finding_id=old_key("R09_strategic_gap", ["a21002"])
        )
        other = insert(c, t["enf_data_extract"], case_id=case, finding_id="not-a-finding")

    upgrade(database_url)
    expected = [fingerprint(as_finding(rule, factors, kind)) for rule, factors, kind in stored]
    with engine.connect() as c:
        keys: dict[int, str] = dict(c.execute(sa.text("SELECT id, fingerprint FROM screening_finding")).all())
        assert [keys[i] for i in ids] == expected
        assert len(set(expected) | {old_key(r, f) for r, f, _ in stored}) == 6  # every key changed
        assert (
            c.execute(
                sa.text(f"SELECT finding_id FROM enf_warning_finding WHERE id = {attached}")
            ).scalar_one()
            == expected[0]
        )
        extracts: dict[int, str] = dict(
            c.execute(sa.text("SELECT id, finding_id FROM enf_data_extract")).all()
        )
        assert extracts == {extract: expected[1], other: "not-a-finding"}

    # after the upgrade R12's ceiling test on the same start is a second finding, attached to the warning too
    ceiling = fingerprint(as_finding("R12_bunching", ["a21004"], "ceiling"))
    with engine.begin() as c:
        newer = insert(
            c,
            t["screening_finding"],
            fingerprint=ceiling,
            mn="MN1",
            rule="R12_bunching",
            start=start,
            factors=["a21004"],
            evidence=json.dumps({"kind": "ceiling"}),
            updated_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        )
        insert(c, t["enf_warning_finding"], warning_id=warning, finding_id=ceiling)

    downgrade(database_url, "0016")
    with engine.connect() as c:
        keys = dict(c.execute(sa.text("SELECT id, fingerprint FROM screening_finding")).all())
        assert keys == {newer: old_key("R12_bunching", ["a21004"])} | {
            i: old_key(r, f) for i, (r, f, _) in zip(ids[1:], stored[1:], strict=True)
        }
        attachments = c.execute(
            sa.text(f"SELECT finding_id FROM enf_warning_finding WHERE warning_id = {warning}")
        ).all()
        assert [a for (a,) in attachments] == [old_key("R12_bunching", ["a21004"])]
        extracts = dict(c.execute(sa.text("SELECT id, finding_id FROM enf_data_extract")).all())
        assert extracts == {extract: old_key("R09_strategic_gap", ["a21002"]), other: "not-a-finding"}
    engine.dispose()
