"""Evidence families of the rules, and which findings may make a red warning on their own.

Fusion (``scoring.py``) needs to know which findings are *independent* views of a point-day and
which are two views of the same symptom. Every rule therefore belongs to one evidence family:

* ``concentration``: patterns in the pollutant series themselves (constant value, over range, drop
  after an exceedance, dilution, replay). A tap-water hose makes R01 (narrow band) and R05 (all
  factors fall) fire together: one symptom, one family.
* ``working_condition``: the pollutant series against flow, O2, load or the facilities' power
  (zero while operating, O2 dilution and 折算, treatment off, flow manipulation).
* ``data_chain``: the transmission chain (gaps, hourly vs minute values, analyser vs logger vs
  platform).
* ``records``: O&M records, door and camera events, filed instrument parameters, data flags.
* ``statistical``: distribution tests (R12 bunching, R13 digits). They raise attention only: never
  red alone and never the second family of a corroboration (legal dosing to sit under a limit and
  instrument resolution look the same).

A finding is *standalone* (red without corroboration) when its own evidence is overwhelming and
physically grounded; the table below names the rule, the evidence kinds (variants) and the lowest
severity for which that holds. Rule files do not need to know about fusion: the table lives here so
that it can be reviewed in one place (docs/screening.md, "Evidence fusion").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ecosentinel.detection.findings import Finding, Severity


class Family(StrEnum):
    """Evidence family of a rule (independent families corroborate each other)."""

    CONCENTRATION = "concentration"
    WORKING_CONDITION = "working_condition"
    DATA_CHAIN = "data_chain"
    RECORDS = "records"
    STATISTICAL = "statistical"


FAMILY_OF: dict[str, Family] = {
    "R01": Family.CONCENTRATION,
    "R03": Family.CONCENTRATION,
    "R04": Family.CONCENTRATION,
    "R05": Family.CONCENTRATION,
    "R07": Family.CONCENTRATION,
    "R17": Family.CONCENTRATION,
    "R02": Family.WORKING_CONDITION,
    "R08": Family.WORKING_CONDITION,
    "R10": Family.WORKING_CONDITION,
    "R11": Family.WORKING_CONDITION,
    "R20": Family.WORKING_CONDITION,
    "R09": Family.DATA_CHAIN,
    "R18": Family.DATA_CHAIN,
    "R19": Family.DATA_CHAIN,
    "R06": Family.RECORDS,
    "R15": Family.RECORDS,
    "R16": Family.RECORDS,
    "Q01": Family.RECORDS,
    "R12": Family.STATISTICAL,
    "R13": Family.STATISTICAL,
}
"""Short rule code -> family. Rules not listed count as ``concentration`` (the conservative choice:
an unknown rule never adds a second, independent family)."""


@dataclass(frozen=True, slots=True)
class Standalone:
    """When a rule's finding may be red on its own: evidence kinds (None = any) and lowest severity."""

    kinds: frozenset[str] | None
    min_severity: Severity
    why: str
    """Why the evidence is physically grounded (English; the Chinese sentence is in messages)."""


_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}

STANDALONE: dict[str, Standalone] = {
    "R02": Standalone(None, Severity.HIGH, "zero or negative while the production power meter shows running"),
    "R04": Standalone(
        frozenset({"drop"}), Severity.HIGH, "re-run after a near-limit cycle, extra cycles or a door event"
    ),
    "R06": Standalone(None, Severity.MEDIUM, "an instrument parameter differs from its filed value"),
    "R08": Standalone(
        frozenset({"zs_mismatch", "o2_high"}),
        Severity.HIGH,
        "reported zs differs from its formula, or O2 rose at the same metered load while measured "
        "values fell and the converted value stayed (air let in)",
    ),
    "R10": Standalone(
        None, Severity.HIGH, "treatment power off (or flag F) while production power or discharge flow is on"
    ),
    "R11": Standalone(frozenset({"zero"}), Severity.HIGH, "flow at zero while production power is on"),
    "R16": Standalone(
        frozenset({"hidden_exceedance"}), Severity.HIGH, "readings over the limit hidden under C/M/D flags"
    ),
    "R17": Standalone(frozenset({"identical"}), Severity.HIGH, "a whole day identical to an earlier day"),
    "R18": Standalone(None, Severity.HIGH, "the hourly value hides an exceedance its own minutes show"),
    "R19": Standalone(None, Severity.HIGH, "an exceedance upstream arrives under the limit at the platform"),
    "R20": Standalone(
        None, Severity.HIGH, "identical values for hours while the production power meter swings strongly"
    ),
}
"""Short rule code -> when a single finding of that rule is overwhelming evidence."""


def short_code(rule: str) -> str:
    """``R01_constant_value`` -> ``R01``."""
    return rule.split("_", 1)[0]


SAME_SYMPTOM: dict[str, str] = {"R20": "R01", "R17": "R01"}
"""Short rule code -> the rule whose symptom it reports too. R20 (flat while the working condition
varies) is R01's run of held values read beside the production meter: as clues (low: the rule cannot
tell the run from an instrument stuck), the two are one observation and count once (``scoring``);
measured in bench detect, a real nitrate probe stuck for 20 h made a low R01 and a low R20 that added
up to yellow on their own. R17's clue (a day near its earlier day, which the rule itself explains by a
production load that repeated its day as closely, or by another factor not copied) is the same
observation as R01's clue on that factor: the series is more regular than a measured process, seen
once as a narrow band and once as a day like the day before. Measured through import and screen
(``bench detect-import`` at seeds 300 and 2024): a base-load EPA unit whose NOx stayed within 10.3
mg/m3 for 102 h made a low R01 band and a low R17 near copy that added up to two yellow clean days,
and no label was found by that pair alone. Medium and high findings are left as they are (the working
condition moving, or an exact copy, is then part of the evidence)."""


def symptom_of(rule: str) -> str:
    """The short code of the rule whose symptom ``rule`` reports (itself unless in ``SAME_SYMPTOM``)."""
    code = short_code(rule)
    return SAME_SYMPTOM.get(code, code)


def family_of(rule: str, overrides: dict[str, str] | None = None) -> Family:
    """The finding's evidence family (configuration may re-assign a rule, by full or short code)."""
    code = short_code(rule)
    if overrides:
        named = overrides.get(rule, overrides.get(code))
        if named is not None:
            return Family(named)
    return FAMILY_OF.get(code, Family.CONCENTRATION)


def is_standalone(finding: Finding) -> bool:
    """Whether this finding alone is physically grounded enough for red."""
    spec = STANDALONE.get(short_code(finding.rule))
    if spec is None:
        return False
    if spec.kinds is not None and str(finding.evidence.get("kind", "")) not in spec.kinds:
        return False
    return _RANK[finding.severity] >= _RANK[spec.min_severity]
