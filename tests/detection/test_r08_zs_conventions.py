"""R08 'zs_mismatch' on hour rows with minute data under them: the hour's O2-converted value may be
computed either from the hour means or as the mean of the minutes each converted at its own O2. The
two differ when O2 moves within the hour (a start-up); neither is a falsified conversion."""

import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from tests.detection.helpers import HOUR, MINUTE, MN, T0, check_case, frame, series

GAS = PointContext(mn=MN, point_type=PointType.GAS, factors={"a21002": FactorSpec(limit=100)}, ref_o2=6.0)
HOURS = 6
# minutes: NOx 60 mg/m3; O2 falls from 18 % to 3 % within hour 3 (a start-up), steady 6.5 % otherwise
NOX_M = [60.0 + (i % 7) * 0.5 for i in range(HOURS * 60)]
O2_M = [18.0 - 15.0 * (i % 60) / 59 if i // 60 == 3 else 6.5 for i in range(HOURS * 60)]


def _hour_rows(
    convert_per_minute: bool, falsified_hour: int | None = None
) -> tuple[list[float], list[float], list[float]]:
    values, o2s, zs = [], [], []
    for h in range(HOURS):
        c = NOX_M[h * 60 : (h + 1) * 60]
        o = O2_M[h * 60 : (h + 1) * 60]
        mean_c, mean_o = sum(c) / 60, sum(o) / 60
        if convert_per_minute:
            z = sum(ci * 15 / (21 - oi) for ci, oi in zip(c, o, strict=True)) / 60
        else:
            z = mean_c * 15 / (21 - mean_o)
        if h == falsified_hour:
            z *= 0.6
        values.append(round(mean_c, 3))
        o2s.append(round(mean_o, 3))
        zs.append(round(z, 3))
    return values, o2s, zs


def _frame(convert_per_minute: bool, falsified_hour: int | None = None):  # type: ignore[no-untyped-def]
    values, o2s, zs = _hour_rows(convert_per_minute, falsified_hour)
    return frame(
        series("a21002", values, zs=zs),
        series("a19001", o2s),
        series("a21002", NOX_M, step=MINUTE, kind="minute"),
        series("a19001", O2_M, step=MINUTE, kind="minute"),
    )


@pytest.mark.parametrize("per_minute", [False, True], ids=["hour-means", "per-minute"])
def test_either_conversion_convention_is_not_a_mismatch(per_minute: bool) -> None:
    # the start-up hour's two conventions really differ (else the test proves nothing)
    _, _, by_hour = _hour_rows(False)
    _, _, by_minute = _hour_rows(True)
    assert abs(by_hour[3] - by_minute[3]) > 0.05 * by_hour[3]
    case = {"id": "clean: either convention", "frame": _frame(per_minute), "context": GAS, "expect": 0}
    assert check_case("R08", {**case, "variant": "zs_mismatch"}) == []  # type: ignore[typeddict-item]


def test_a_falsified_hour_matches_neither_convention() -> None:
    check_case(
        "R08",
        {
            "id": "catch: hour 1 reported 40 % under both conventions",
            "frame": _frame(True, falsified_hour=1),
            "context": GAS,
            "expect": 1,
            "variant": "zs_mismatch",
            "windows": [(T0 + 1 * HOUR, T0 + 2 * HOUR)],
        },
    )
