"""What a rule returns: a ``Finding`` with its evidence and a Chinese explanation."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ecosentinel.readings import CST


class Severity(StrEnum):
    """How strongly a finding points to falsification."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Finding:
    """One suspicious window at one point, found by one rule.

    ``evidence`` is JSON-serialisable (times as ISO 8601 strings with offset, numbers as floats):
    at least ``window`` and the values, the threshold and the comparison that fired.
    ``explanation_zh`` is one Chinese paragraph fit for an enforcement record.
    """

    mn: str
    rule: str
    factors: tuple[str, ...]
    start: dt.datetime
    end: dt.datetime
    severity: Severity
    score: float
    evidence: dict[str, Any] = field(hash=False)
    explanation_zh: str

    @property
    def id(self) -> str:
        """Stable identifier: the same rule on the same window always gives the same id."""
        key = (
            f"{self.mn}|{self.rule}|{','.join(self.factors)}|{self.start.isoformat()}|{self.end.isoformat()}"
        )
        kind = self.evidence.get("kind", "")
        return hashlib.sha1(f"{key}|{kind}".encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (jsonl output, API, storage)."""
        return {
            "id": self.id,
            "mn": self.mn,
            "rule": self.rule,
            "factors": list(self.factors),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "severity": self.severity.value,
            "score": self.score,
            "evidence": self.evidence,
            "explanation_zh": self.explanation_zh,
        }

    def to_json(self) -> str:
        """One jsonl line."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)


def iso(t: dt.datetime) -> str:
    """Evidence time format: ISO 8601 in China Standard Time, with its offset."""
    return t.astimezone(CST).isoformat(timespec="minutes")


def cst_text(t: dt.datetime) -> str:
    """Human time format for explanations: ``2024-03-01 08:00``, China Standard Time."""
    return t.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def num(x: float | None, digits: int = 4) -> float | None:
    """Round a value for evidence (keeps JSON small and stable)."""
    if x is None:
        return None
    return float(round(x, digits))
