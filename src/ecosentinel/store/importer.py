"""Import readings from CSV: ``mn,time,kind,code,value,flag[,source][,zs][,vmin][,vmax][,cou]``; all or
nothing.

The whole file is read with polars (every column as text), validated with vectorised checks, and only
then stored with one ``append`` (one transaction). Every error names ``file:line:column``; line 1 is
the header (fields with embedded line breaks are not supported, so a row's line is its index + 2).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Callable, Collection
from pathlib import Path

import polars as pl

from ecosentinel.config import DataTimeSettings
from ecosentinel.errors import ValidationError
from ecosentinel.readings import READING_SCHEMA, DataFlag, DataKind, Source
from ecosentinel.store import messages
from ecosentinel.store.base import MeasurementStore
from ecosentinel.store.timecheck import earliest_allowed, latest_allowed

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("mn", "time", "kind", "code", "value", "flag")
NUMBER_COLUMNS = ("zs", "vmin", "vmax", "cou")
"""Optional numeric columns, HJ 212's fields: zs the O2-converted value (ZsRtd/ZsAvg, flue gas), vmin and
vmax the interval's minimum and maximum (Min/Max), cou the interval's total (Cou, e.g. discharged m3)."""
OPTIONAL_COLUMNS = ("source", *NUMBER_COLUMNS)
MAX_REPORTED = 50

_TIME_SHAPE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$"
_CODE_SHAPE = r"^[A-Za-z0-9_]{1,16}$"


class ImportFileError(ValidationError):
    """A file failed validation; ``errors`` lists problems (each with file:line:column), ``count`` all."""

    def __init__(self, errors: list[ValidationError], count: int | None = None) -> None:
        self.errors = errors
        self.count = len(errors) if count is None else count
        lines = [messages.IMPORT_FAILED.format(count=self.count), *(str(e) for e in errors)]
        if self.count > len(errors):
            lines.append(messages.MORE_ERRORS.format(count=self.count - len(errors)))
        super().__init__("\n".join(lines))


def _parse_time(column: pl.Expr) -> pl.Expr:
    """ISO 8601 text to UTC; China Standard Time when the text carries no offset; null when unparsable."""
    text = (
        column.str.strip_chars()
        .str.replace(" ", "T", literal=True)
        .str.replace(r"Z$", "+00:00")
        .str.replace(r"([+-]\d{2})(\d{2})$", "${1}:${2}")
        .str.replace(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})([+-]\d{2}:\d{2})?$", "${1}:00${2}")
    )
    has_offset = text.str.contains(r"[+-]\d{2}:\d{2}$")
    with_offset = text.str.to_datetime(
        "%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_unit="us", time_zone="UTC"
    )
    local = (
        text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
        .dt.replace_time_zone("Asia/Shanghai")
        .dt.convert_time_zone("UTC")
    )
    return pl.when(has_offset).then(with_offset).otherwise(local)


_KEY = ("_mn", "_time", "_kind", "_code", "_source")
"""What makes two rows the same reading (the store keeps one per key)."""


def _decoded_text(path: Path, name: str) -> str:
    """The file as text (UTF-8, a byte-order mark allowed); a bad byte is reported at its line and column."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(
            [ValidationError(messages.UNREADABLE_CSV.format(error=exc), location=f"{name}:1:1")]
        ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
        raise ImportFileError(
            [
                ValidationError(
                    messages.NOT_UTF8.format(byte=data[exc.start]), location=f"{name}:{line}:{column}"
                )
            ]
        ) from exc


def _check_field_counts(text: str, name: str) -> None:
    """Every row has as many fields as the header (polars would fail in English, without the line)."""
    errors: list[ValidationError] = []
    expected = 0
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if number == 1:
            expected = len(row)
            continue
        if row and len(row) != expected:
            column = min(len(row), expected) + 1
            errors.append(
                ValidationError(
                    messages.FIELD_COUNT.format(got=len(row), expected=expected),
                    location=f"{name}:{number}:{column}",
                )
            )
            if len(errors) >= MAX_REPORTED:
                break
    if errors:
        raise ImportFileError(errors)


def _number(column: str, present: bool) -> pl.Expr:
    """An optional numeric column as Float64 (null where empty, unparsable or absent)."""
    if not present:
        return pl.lit(None, pl.Float64)
    return pl.col(column).str.strip_chars().cast(pl.Float64, strict=False)


def _bad_number(column: str) -> pl.Expr:
    """A non-empty field of an optional numeric column that is not a finite number."""
    return (pl.col(column).str.strip_chars().fill_null("") != "") & (
        pl.col(f"_{column}").is_null() | ~pl.col(f"_{column}").is_finite()
    )


def _shown(value: str, flag: str) -> pl.Expr:
    return pl.concat_str(pl.col(value).cast(pl.Utf8).fill_null("空"), pl.lit("/"), pl.col(flag))


def _conflicting_duplicates(parsed: pl.DataFrame) -> pl.DataFrame:
    """(line, first line, its value, this value) of rows repeating an earlier row's key with another value or
    flag: which one is right cannot be decided, so the file is refused."""
    ok = parsed.filter(pl.all_horizontal(pl.col(list(_KEY)).is_not_null()))
    with_first = ok.with_columns(
        pl.col("_line").first().over(list(_KEY)).alias("_first"),
        pl.col("_value").first().over(list(_KEY)).alias("_first_value"),
        pl.col("_flag").first().over(list(_KEY)).alias("_first_flag"),
    )
    differs = (pl.col("_line") != pl.col("_first")) & (
        (
            pl.col("_value").fill_nan(None).cast(pl.Utf8).fill_null("")
            != pl.col("_first_value").fill_nan(None).cast(pl.Utf8).fill_null("")
        )
        | (pl.col("_flag") != pl.col("_first_flag"))
    )
    return with_first.filter(differs).select(
        "_line",
        "_first",
        pl.concat_str(
            pl.col("_first_value").cast(pl.Utf8).fill_null("空"), pl.lit("/"), pl.col("_first_flag")
        ),
        pl.concat_str(pl.col("_value").cast(pl.Utf8).fill_null("空"), pl.lit("/"), pl.col("_flag")),
    )


def read_readings_csv(
    path: Path,
    *,
    known_mns: Collection[str],
    data_time: DataTimeSettings | None = None,
    now: dt.datetime | None = None,
) -> pl.DataFrame:
    """Read and validate a readings CSV into READING_SCHEMA; raise ImportFileError listing every problem.

    Times later than ``now`` + the future tolerance or before the earliest date of ``data_time`` are
    refused (no age limit: importing history is the point of an import)."""
    policy = data_time or DataTimeSettings()
    at = now or dt.datetime.now(dt.UTC)
    latest = latest_allowed(policy, at).astimezone(dt.UTC)
    earliest = earliest_allowed(policy, at).astimezone(dt.UTC)
    name = str(path)
    text = _decoded_text(path, name)
    _check_field_counts(text, name)
    try:
        raw = pl.read_csv(io.StringIO(text), infer_schema=False, has_header=True)
    except pl.exceptions.PolarsError as exc:
        raise ImportFileError(
            [ValidationError(messages.UNREADABLE_CSV.format(error=exc), location=f"{name}:1:1")]
        ) from exc
    header = [c.strip() for c in raw.columns]
    raw.columns = header
    column_no = {c: i + 1 for i, c in enumerate(header)}
    header_errors = [
        ValidationError(messages.DUPLICATE_COLUMN.format(column=c), location=f"{name}:1:{i + 1}")
        for i, c in enumerate(header)
        if header.index(c) != i
    ]
    header_errors += [
        ValidationError(messages.MISSING_COLUMN.format(column=c), location=f"{name}:1:1")
        for c in REQUIRED_COLUMNS
        if c not in column_no
    ]
    header_errors += [
        ValidationError(messages.UNKNOWN_COLUMN.format(column=c), location=f"{name}:1:{column_no[c]}")
        for c in header
        if c not in REQUIRED_COLUMNS and c not in OPTIONAL_COLUMNS
    ]
    if header_errors:
        raise ImportFileError(header_errors)

    kinds = [k.value for k in DataKind]
    sources = [s.value for s in Source]
    flags = [f.value for f in DataFlag]
    source_expr = pl.col("source").str.strip_chars() if "source" in column_no else pl.lit(None, pl.Utf8)
    parsed = raw.with_row_index("_line", offset=2).with_columns(
        _mn=pl.col("mn").str.strip_chars(),
        _code=pl.col("code").str.strip_chars(),
        _kind=pl.col("kind").str.strip_chars(),
        _time=_parse_time(pl.col("time")),
        _value=pl.col("value").str.strip_chars().cast(pl.Float64, strict=False),
        _flag=pl.col("flag").str.strip_chars().fill_null(DataFlag.NORMAL.value),
        _source=source_expr.fill_null(Source.PLATFORM.value),
        **{f"_{c}": _number(c, c in column_no) for c in NUMBER_COLUMNS},
    )
    known = list(known_mns)
    checks: list[tuple[str, pl.Expr, str]] = [
        ("mn", pl.col("_mn").is_null() | (pl.col("_mn") == ""), messages.EMPTY_FIELD),
        (
            "mn",
            pl.col("_mn").is_not_null() & (pl.col("_mn") != "") & ~pl.col("_mn").is_in(known),
            messages.UNKNOWN_MN,
        ),
        ("time", pl.col("time").is_null(), messages.EMPTY_FIELD),
        (
            "time",
            pl.col("time").is_not_null()
            & (~pl.col("time").str.strip_chars().str.contains(_TIME_SHAPE) | pl.col("_time").is_null()),
            messages.BAD_TIME,
        ),
        (
            "time",
            pl.col("_time").is_not_null() & (pl.col("_time").dt.microsecond() != 0),
            messages.SUBSECOND_TIME,
        ),
        ("time", pl.col("_time").is_not_null() & (pl.col("_time") > latest), messages.IMPORT_TIME_IN_FUTURE),
        ("time", pl.col("_time").is_not_null() & (pl.col("_time") < earliest), messages.IMPORT_TIME_TOO_OLD),
        ("kind", ~pl.col("_kind").is_in(kinds) | pl.col("_kind").is_null(), messages.BAD_KIND),
        ("code", pl.col("_code").is_null() | ~pl.col("_code").str.contains(_CODE_SHAPE), messages.BAD_CODE),
        (
            "value",
            (pl.col("value").str.strip_chars().fill_null("") != "")
            & (pl.col("_value").is_null() | ~pl.col("_value").is_finite()),
            messages.BAD_VALUE,
        ),
        *((c, _bad_number(c), messages.BAD_VALUE) for c in NUMBER_COLUMNS if c in column_no),
        ("flag", ~pl.col("_flag").is_in(flags), messages.BAD_FLAG),
        ("source", ~pl.col("_source").is_in(sources), messages.BAD_SOURCE),
    ]
    found: list[tuple[int, int, ValidationError]] = []
    total = 0
    for column, bad, template in checks:
        rows = parsed.filter(bad.fill_null(True))
        if rows.height == 0:
            continue
        total += rows.height
        source_column = column if column in column_no else "source"
        values = rows[source_column] if source_column in rows.columns else pl.Series([None] * rows.height)
        for line, value in zip(rows["_line"].head(MAX_REPORTED), values.head(MAX_REPORTED), strict=False):
            message = template.format(column=column, value=value, allowed="、".join(flags))
            col = column_no.get(column, 1)
            found.append((int(line), col, ValidationError(message, location=f"{name}:{line}:{col}")))
    conflicts = _conflicting_duplicates(parsed)
    for line, first, value, other in conflicts.head(MAX_REPORTED).iter_rows():
        message = messages.CONFLICTING_DUPLICATE.format(first=first, value=value, other=other)
        col = column_no["value"]
        found.append((int(line), col, ValidationError(message, location=f"{name}:{line}:{col}")))
    total += conflicts.height
    if found:
        found.sort(key=lambda item: (item[0], item[1]))
        raise ImportFileError([e for _, _, e in found[:MAX_REPORTED]], count=total)

    parsed = parsed.unique(subset=list(_KEY), keep="first", maintain_order=True)
    frame = parsed.select(
        pl.col("_mn").alias("mn"),
        pl.col("_code").alias("code"),
        pl.col("_kind").alias("kind"),
        pl.col("_time").alias("time"),
        pl.col("_source").alias("source"),
        pl.col("_value").alias("value"),
        pl.col("_vmin").alias("vmin"),
        pl.col("_vmax").alias("vmax"),
        pl.col("_cou").alias("cou"),
        pl.col("_zs").alias("zs"),
        pl.col("_flag").alias("flag"),
    )
    return frame.cast(READING_SCHEMA)  # type: ignore[arg-type]


def import_readings(
    path: Path,
    *,
    store: MeasurementStore,
    known_mns: Collection[str],
    data_time: DataTimeSettings | None = None,
    on_stored: Callable[[pl.DataFrame], None] | None = None,
) -> tuple[int, int]:
    """Validate a readings CSV and store it in one transaction; return (rows in file, readings inserted).

    ``on_stored`` is called with the stored frame after the commit (the archive seals the days it touched).
    """
    frame = read_readings_csv(path, known_mns=known_mns, data_time=data_time)
    inserted = store.append(frame)
    if on_stored is not None:
        on_stored(frame)
    logger.info("imported %s: %d rows, %d new readings", path, frame.height, inserted)
    return frame.height, inserted
