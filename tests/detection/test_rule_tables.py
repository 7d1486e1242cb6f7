"""Every registered rule has its table of cases (issue 3): catch, clean, missing value, calibration flag;
and catches at hour and minute resolution that assert the flagged window (issue 17)."""

import importlib
import pkgutil
import re

import pytest

import tests.detection
from ecosentinel.detection import RULES
from tests.detection.helpers import Case

KINDS = ("catch", "clean", "missing", "calibration flag")
"""Case ids start with one of these (or ``trap``/``override``) followed by a colon."""


def _tables() -> dict[str, list[Case]]:
    """Rule short code -> its cases, from ``R01_CASES`` lists or a module's single ``CASES`` list."""
    out: dict[str, list[Case]] = {}
    for info in pkgutil.iter_modules(tests.detection.__path__):
        match = re.fullmatch(r"test_([rq]\d\d)_.*", info.name)
        if match is None:
            continue
        module = importlib.import_module(f"tests.detection.{info.name}")
        for name, value in vars(module).items():
            if name == "CASES":
                out.setdefault(match.group(1).upper(), []).extend(value)
            elif (m := re.fullmatch(r"([RQ]\d\d)_CASES", name)) is not None:
                out.setdefault(m.group(1), []).extend(value)
    return out


TABLES = _tables()


def test_every_registered_rule_has_a_table() -> None:
    registered = {cls.code.split("_", 1)[0] for cls in RULES}
    assert registered - TABLES.keys() == set()


@pytest.mark.parametrize("rule", sorted(cls.code.split("_", 1)[0] for cls in RULES))
def test_table_covers_the_four_kinds_of_case(rule: str) -> None:
    ids = [case["id"] for case in TABLES.get(rule, [])]
    missing = [kind for kind in KINDS if not any(i.startswith(f"{kind}:") for i in ids)]
    assert missing == [], f"{rule} lacks {missing}: {ids}"
    assert any(case["expect"] > 0 for case in TABLES[rule] if case["id"].startswith("catch:"))
    assert all(case["expect"] == 0 for case in TABLES[rule] if case["id"].startswith("clean:"))


# Issue 17: every rule has catch cases at hour and at minute resolution that assert the flagged window.
NO_MINUTE_DATA: dict[str, str] = {}
"""Rules that take no minute data at all (short code -> why); none at present: every rule reads minute
data, or reads it beside the hourly data it judges."""
MINUTE_BESIDE_HOUR: dict[str, str] = {
    "R18": "it checks each hourly value against the mean of its minutes: its minute-resolution case holds "
    "the minutes and the hourly value they must average to",
}
"""Rules whose minute-resolution case necessarily holds hourly rows too (short code -> why)."""


def resolution(rule: str, case: Case) -> str | None:
    """'hour' or 'minute' for a case whose frame holds that kind of data and not the other, else None."""
    kinds = set(case["frame"]["kind"].unique().to_list())
    if "minute" in kinds and ("hour" not in kinds or rule in MINUTE_BESIDE_HOUR):
        return "minute"
    if "hour" in kinds and "minute" not in kinds:
        return "hour"
    return None


def windowed_catches(rule: str) -> dict[str, list[str]]:
    """Resolution -> ids of the rule's catch cases that find something and assert its windows."""
    out: dict[str, list[str]] = {"hour": [], "minute": []}
    for case in TABLES.get(rule, []):
        if case["id"].startswith("catch:") and case["expect"] > 0 and case.get("windows"):
            res = resolution(rule, case)
            if res is not None:
                out[res].append(case["id"])
    return out


@pytest.mark.parametrize("rule", sorted(cls.code.split("_", 1)[0] for cls in RULES))
def test_table_catches_at_hour_and_minute_resolution_with_windows(rule: str) -> None:
    found = windowed_catches(rule)
    assert found["hour"], f"{rule}: no catch case on hourly data that asserts its windows"
    if rule in NO_MINUTE_DATA:
        assert not found["minute"], f"{rule} has a minute case: drop it from NO_MINUTE_DATA"
    else:
        assert found["minute"], f"{rule}: no catch case on minute data that asserts its windows"


def test_resolution_allow_lists_name_registered_rules() -> None:
    registered = {cls.code.split("_", 1)[0] for cls in RULES}
    assert (NO_MINUTE_DATA.keys() | MINUTE_BESIDE_HOUR.keys()) <= registered
    assert all(reason.strip() for reason in [*NO_MINUTE_DATA.values(), *MINUTE_BESIDE_HOUR.values()])
