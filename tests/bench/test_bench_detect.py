"""The accuracy benchmark's machinery: labels to point-days, metrics, detectors, the quick run."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ecosentinel.bench.detect import DetectOptions, report_body, run_detect
from ecosentinel.bench.detect_corpus import PointRun
from ecosentinel.bench.detect_metrics import Detection, label_days, score, time_to_detection, truth
from ecosentinel.readings import CST
from ecosentinel.simulator.models import Label


def _t(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, 5, day, hour, minute, tzinfo=CST)


def test_label_days_positive_and_ambiguous() -> None:
    label = Label("M", "dilution", _t(6, 23, 30), _t(8, 0, 30), ("w01018",), 1.0)
    positive, ambiguous = label_days(label)
    assert positive == {dt.date(2024, 5, 7)}
    assert ambiguous == {dt.date(2024, 5, 6), dt.date(2024, 5, 8)}


def test_time_to_detection_uses_first_hit_on_a_flagged_day() -> None:
    label = Label("M", "replay", _t(7, 0), _t(8, 0), ("w01018",), 1.0)
    det = Detection(
        flagged=frozenset({dt.date(2024, 5, 7)}),
        hits=((_t(5, 1), _t(5, 2)), (_t(7, 3), _t(7, 5)), (_t(7, 2), _t(7, 9))),
    )
    assert time_to_detection(label, det) == pytest.approx(5.0)
    assert time_to_detection(label, Detection(flagged=frozenset())) is None


def test_time_to_detection_prefers_the_online_alert_on_a_flagged_day() -> None:
    # one finding spanning the whole episode ends with it (9 h); the replay found it after 2 h
    label = Label("M", "constant_value", _t(7, 0), _t(7, 10), ("w01018",), 1.0)
    hits = ((_t(7, 0), _t(7, 9)),)
    replayed = Detection(
        flagged=frozenset({dt.date(2024, 5, 7)}), hits=hits, alerts={("constant_value", label.start): 2.0}
    )
    assert time_to_detection(label, replayed) == pytest.approx(2.0)
    # an alert for another label, or on a day the full screening left green, is not this label's
    day = frozenset({dt.date(2024, 5, 7)})
    other = Detection(flagged=day, hits=hits, alerts={("replay", label.start): 2.0})
    assert time_to_detection(label, other) == pytest.approx(9.0)
    green = Detection(flagged=frozenset(), hits=hits, alerts={("constant_value", label.start): 2.0})
    assert time_to_detection(label, green) is None


def _truth_run(detector: str) -> tuple[dict[str, Detection], list[dt.date], Label]:
    days = [dt.date(2024, 5, d) for d in range(6, 16)]
    label = Label("M", "constant_value", _t(8, 0), _t(10, 0), ("a21026",), 1.0)
    if detector == "perfect":
        flagged = frozenset({dt.date(2024, 5, 8), dt.date(2024, 5, 9)})
    elif detector == "all":
        flagged = frozenset(days)
    else:
        flagged = frozenset()
    return {"d": Detection(flagged=flagged, hits=((_t(8, 0), _t(8, 6)),))}, days, label


@pytest.mark.parametrize(
    ("detector", "precision", "recall", "f1"),
    [("perfect", 1.0, 1.0, 1.0), ("all", 0.2, 1.0, 2 * 0.2 / 1.2), ("none", 0.0, 0.0, 0.0)],
)
def test_metrics_of_reference_detectors(detector: str, precision: float, recall: float, f1: float) -> None:
    from ecosentinel.bench.detect_metrics import Outcome

    detections, days, label = _truth_run(detector)
    oc = Outcome("sim", "b", "M", "default", (label,), tuple(days), detections)
    s = score([oc], "d")[("sim", "constant_value", "default")]
    assert s.prevalence == pytest.approx(0.2)
    assert s.precision == pytest.approx(precision)
    assert s.recall == pytest.approx(recall)
    assert s.f1 == pytest.approx(f1)
    assert s.labels == 1
    assert s.detected == (0 if detector == "none" else 1)


def _perfect(run: PointRun) -> Detection:
    from ecosentinel.bench.detect_metrics import Outcome

    oc = Outcome(
        run.source, run.batch, run.context.mn, run.severity_name, tuple(run.labels), tuple(run.days), {}
    )
    positive, _, _ = truth(oc)
    return Detection(flagged=frozenset(positive), hits=tuple((lab.start, lab.start) for lab in run.labels))


def _everything(run: PointRun) -> Detection:
    return Detection(flagged=frozenset(run.days))


def test_quick_corpus_with_reference_detectors() -> None:
    options = dataclasses.replace(DetectOptions.quick(None), scenarios=("constant_value", "zero_negative"))
    result = run_detect(options, {"rules": _perfect, "robust_z": _everything})
    perfect, everything = result.scores("rules"), result.scores("robust_z")
    assert {k[0] for k in perfect} == {"sim"}
    assert {k[1] for k in perfect} == {"constant_value", "zero_negative"}
    for key, s in perfect.items():
        assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0), key
        assert s.ttd_median == 0.0
        e = everything[key]
        assert e.recall == 1.0
        assert e.precision == pytest.approx(e.prevalence), key
        assert 0 < e.prevalence < 1
    clean = result.clean("rules")
    assert clean["sim"].clean_days > 0
    assert clean["sim"].flagged == 0
    body = report_body(result, quick=True)
    assert "ecosentinel bench detect --quick" in body
    assert "| constant_value | default |" in body


def test_quick_run_with_the_real_detectors() -> None:
    options = dataclasses.replace(DetectOptions.quick(None), scenarios=("constant_value", "zero_negative"))
    result = run_detect(options)
    rules = result.scores("rules")
    # the rules catch a day-long frozen station and zeros while producing, both at default severity
    assert rules[("sim", "constant_value", "default")].recall == 1.0
    assert rules[("sim", "zero_negative", "default")].recall == 1.0
    assert result.clean("rules")["sim"].clean_days > 0


def test_rule_reliability_counts_warned_days_against_the_truth() -> None:
    from ecosentinel.bench.detect_metrics import Outcome, rule_reliability

    d1, d2, d3 = dt.date(2024, 3, 1), dt.date(2024, 3, 2), dt.date(2024, 3, 3)
    start = dt.datetime.combine(d1, dt.time(8), CST)
    label = Label("P", "replay", start, start + dt.timedelta(hours=6), ("w01018",), 1.0)
    detection = Detection(
        flagged=frozenset({d1, d2}),  # d1 falsified and warned; d2 clean and warned; d3 clean, green
        by_rule={"R17": frozenset({d1, d2}), "R01": frozenset({d2, d3})},
    )
    outcome = Outcome(
        source="bg",
        batch="bg:replay@default",
        mn="P",
        severity_name="default",
        labels=(label,),
        days=(d1, d2, d3),
        detections={"rules": detection},
    )
    table = rule_reliability([outcome])["bg"]
    assert (table["R17"].confirmed, table["R17"].refuted) == (1, 1)
    assert table["R17"].reliability == pytest.approx(0.5)
    assert (table["R01"].confirmed, table["R01"].refuted) == (0, 1)  # its green day d3 was never a warning
    assert table["R01"].reliability == pytest.approx(1 / 3)
