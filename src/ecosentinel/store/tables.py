"""Measurement tables (``ms_*``), chosen by benchmark (see docs/store.md).

Readings are clustered by series: one composite primary key ``(station_id, code_id, kind, source, t)``
(SQLite ``WITHOUT ROWID``), so a point-month is one contiguous range scan and a re-sent value is a
primary-key conflict. Points and factor codes are small integers from two dictionary tables, kind and
source small integers, times epoch seconds (HJ 212 DataTime has one-second resolution). There are no
foreign keys on the hot tables: each would cost one extra lookup per inserted row.
"""

from __future__ import annotations

import sqlalchemy as sa

from ecosentinel.database import Base
from ecosentinel.readings import DataKind, Source

# Stable small-integer codes stored in the tables; never renumber, only append.
KIND_ID: dict[DataKind, int] = {DataKind.RTD: 0, DataKind.MINUTE: 1, DataKind.HOUR: 2, DataKind.DAY: 3}
SOURCE_ID: dict[Source, int] = {Source.PLATFORM: 0, Source.LOGGER: 1, Source.ANALYSER: 2}

_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # INTEGER PRIMARY KEY = rowid on SQLite

metadata = Base.metadata

ms_station = sa.Table(
    "ms_station",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("mn", sa.String(64), nullable=False, unique=True),
)

ms_code = sa.Table(
    "ms_code",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
)

ms_reading = sa.Table(
    "ms_reading",
    metadata,
    sa.Column("station_id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.SmallInteger, primary_key=True),
    sa.Column("t", sa.BigInteger, primary_key=True),  # epoch seconds UTC
    sa.Column("code_id", sa.Integer, primary_key=True),
    sa.Column("source", sa.SmallInteger, primary_key=True),
    sa.Column("value", sa.Float),
    sa.Column("vmin", sa.Float),
    sa.Column("vmax", sa.Float),
    sa.Column("cou", sa.Float),
    sa.Column("zs", sa.Float),
    sa.Column("flag", sa.String(2), nullable=False),
    sqlite_with_rowid=False,
)

# Catalogue of series (point, factor, kind, source) that have readings: written only when a new series
# first appears. Reads drive the primary key of ms_reading from it, so every lookup is an index range
# on t, and latest() is one index seek per series.
ms_series = sa.Table(
    "ms_series",
    metadata,
    sa.Column("station_id", sa.Integer, primary_key=True),
    sa.Column("code_id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.SmallInteger, primary_key=True),
    sa.Column("source", sa.SmallInteger, primary_key=True),
    sqlite_with_rowid=False,
)

ms_raw_packet = sa.Table(
    "ms_raw_packet",
    metadata,
    sa.Column("id", _BIGINT_ID, primary_key=True),
    sa.Column("station_id", sa.Integer, nullable=False),
    sa.Column("t", sa.BigInteger, nullable=False),  # data_time if given, else received_at (epoch seconds)
    sa.Column("cn", sa.String(8), nullable=False),
    sa.Column("qn", sa.String(32)),
    sa.Column("data_time_us", sa.BigInteger),
    sa.Column("received_at_us", sa.BigInteger, nullable=False),
    sa.Column("peer", sa.String(128), nullable=False),
    sa.Column("digest", sa.LargeBinary(16), nullable=False),  # SHA-256 of mn, cn, qn, data time, raw
    sa.Column("raw", sa.LargeBinary, nullable=False),
    # Identity and lookup in one index, clustered by point and time like the readings (a unique index on
    # the digest alone dirtied one random page per packet and halved the append rate).
    sa.Index("ix_ms_raw_packet_station_id_t_digest", "station_id", "t", "digest", unique=True),
)

ms_rejected_packet = sa.Table(
    "ms_rejected_packet",
    metadata,
    sa.Column("id", _BIGINT_ID, primary_key=True),
    sa.Column("received_at_us", sa.BigInteger, nullable=False),
    sa.Column("peer", sa.String(128), nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("mn", sa.String(64)),
    sa.Column("raw", sa.LargeBinary, nullable=False),
    sa.Index("ix_ms_rejected_packet_received_at_us", "received_at_us"),
)
