"""False-positive rates of R12, R13 and R17 on the real, presumed-honest public series.

Same data, mapping and counting as ``measure_false_positives`` (every finding counts as a false
positive, an upper bound). The other rules of this batch have no input in these series: R06 (no
parameter uploads), R11 (no production power, no Cou), R15 (no door / camera events), R18 (no minute
or daily data) and R19 (one source only). Run::

    .venv/bin/python -m tests.detection.measure_false_positives_more [--data /work/shared/data]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.detection.measure_false_positives import beijing, report, wwtp

RULES = ["R12", "R13", "R17"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--examples", type=int, default=0, help="print this many example explanations")
    args = parser.parse_args(argv)
    found = report("Beijing ambient (hourly SO2, NO2, CO, PM2.5)", beijing(args.data), RULES)
    found += report("Danish WWTP inflow (hourly flow)", [wwtp(args.data)], ["R13", "R17"])
    for f in found[: args.examples]:
        print("\n-", f.explanation_zh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
