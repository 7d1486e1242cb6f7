import datetime as dt

from ecosentinel.readings import READING_SCHEMA, DataKind, Reading, Source, readings_frame


def test_readings_frame_keeps_schema_and_converts_to_utc() -> None:
    cst = dt.timezone(dt.timedelta(hours=8))
    frame = readings_frame(
        [Reading("MN1", "w01018", DataKind.HOUR, dt.datetime(2026, 1, 1, 8, tzinfo=cst), 12.5)]
    )
    assert frame.schema == READING_SCHEMA
    assert frame["time"][0] == dt.datetime(2026, 1, 1, 0, tzinfo=dt.UTC)
    assert frame["source"][0] == Source.PLATFORM.value
    assert frame["flag"][0] == "N"
