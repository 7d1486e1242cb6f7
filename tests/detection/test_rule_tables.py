"""Every registered rule has its table of cases (issue 3): catch, clean, missing value, calibration flag."""

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
