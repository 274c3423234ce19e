"""Replicate statistics on synthetic data whose answers are known."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from sim.runs.stats import (SUMMARY_COLUMNS, detection_power, interval, paired_difference, respondents_needed, summarise,
                       survey_detection)
from sim.measure.survey import Z95


def test_mean_interval_by_hand():
    got = interval([1, 2, 3, 4, 5])
    # sd = sqrt(2.5), se = sd / sqrt(5) = sqrt(0.5), t(0.975, 4) = 2.776445
    assert got.n == 5
    assert got.mean == pytest.approx(3.0)
    assert got.half_width == pytest.approx(2.776445 * math.sqrt(0.5), rel=1e-6)
    assert (got.low, got.high) == pytest.approx((3 - got.half_width, 3 + got.half_width))


def test_paired_difference_by_hand_and_narrower_than_unpaired():
    baseline = np.array([10.0, 12.0, 11.0, 13.0])
    scenario = baseline + np.array([1.0, 1.2, 0.8, 1.0])
    got = paired_difference(scenario, baseline)
    # differences 1.0 1.2 0.8 1.0: mean 1, sd sqrt(0.08/3), t(0.975, 3) = 3.182446
    assert got.mean == pytest.approx(1.0)
    assert got.half_width == pytest.approx(3.182446 * math.sqrt(0.08 / 3) / 2, rel=1e-6)
    assert got.excludes_zero
    # Pairing removes the replicate-to-replicate spread the two scenarios share.
    unpaired = math.hypot(interval(scenario).half_width, interval(baseline).half_width)
    assert got.half_width < unpaired / 5


def test_interval_covers_the_true_mean_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    samples = rng.normal(2.0, 3.0, size=(4000, 5))
    covered = [interval(s).low <= 2.0 <= interval(s).high for s in samples]
    assert np.mean(covered) == pytest.approx(0.95, abs=0.012)


def test_missing_values_and_short_samples():
    assert interval([1.0, np.nan, 3.0]).n == 2
    one = interval([4.0])
    assert one.mean == 4.0 and math.isnan(one.half_width) and not one.excludes_zero
    none = interval([np.nan])
    assert none.n == 0 and math.isnan(none.mean)
    # Replicates missing on either side drop out of the pairs.
    assert paired_difference([1.0, np.nan, 3.0], [0.0, 1.0, np.nan]).n == 1


def test_a_constant_difference_is_real_and_a_zero_one_is_not():
    assert paired_difference([2.0, 3.0, 4.0], [1.0, 2.0, 3.0]).excludes_zero
    assert not paired_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]).excludes_zero


def runs_table(rows):
    frame = pd.DataFrame(rows, columns=["label", "replicate", "status", "x"])
    frame["name"] = frame["label"].str.title()
    return frame


def test_summary_table_means_and_paired_differences():
    runs = runs_table([("base", r, "ok", v) for r, v in enumerate([10.0, 12.0, 11.0])]
                      + [("b", r, "ok", v) for r, v in enumerate([11.0, 13.0, 12.0])]
                      + [("c", 0, "ok", 10.0), ("c", 1, "failed", np.nan), ("c", 2, "ok", 11.5)])
    table = summarise(runs, ["x"], ["base", "b", "c"]).set_index("label")
    assert list(summarise(runs, ["x"], ["base", "b", "c"]).columns) == list(SUMMARY_COLUMNS)
    assert table.loc["base", "mean"] == pytest.approx(11.0)
    assert table.loc["base", "diff_n"] == 0 and not table.loc["base", "real"]
    assert table.loc["b", "diff"] == pytest.approx(1.0)
    assert table.loc["b", "diff_half_width"] == pytest.approx(0.0)
    assert table.loc["b", "real"]
    assert table.loc["c", "n"] == 2 and table.loc["c", "diff_n"] == 2
    assert table.loc["c", "diff"] == pytest.approx((0.0 + 0.5) / 2)
    assert table.loc["c", "name"] == "C"


def test_survey_power_and_sample_size_known_answers():
    assert detection_power(0.0, 0.02) == pytest.approx(0.05)
    assert detection_power((Z95 + norm.ppf(0.8)) * 0.02, 0.02) == pytest.approx(0.80, abs=1e-3)
    assert math.isnan(detection_power(0.1, 0.0))
    # n = (1.96 + 0.8416)^2 * 2 * 0.25 / 0.1^2 = 392.4 per survey
    assert respondents_needed(0.5, 0.1) == pytest.approx(392.4, rel=1e-3)


def test_survey_detection_counts_replicates_where_one_survey_calls_it_real():
    rows = []
    for r, (est_a, est_b) in enumerate([(0.80, 0.90), (0.80, 0.82), (0.81, 0.93)]):
        rows += [{"label": "a", "replicate": r, "status": "ok", "survey.satisfaction.estimate": est_a,
                  "survey.satisfaction.se": 0.02, "survey.satisfaction.true": 0.80, "survey.n": 400},
                 {"label": "b", "replicate": r, "status": "ok", "survey.satisfaction.estimate": est_b,
                  "survey.satisfaction.se": 0.02, "survey.satisfaction.true": 0.90, "survey.n": 400}]
    got = survey_detection(pd.DataFrame(rows), ["a", "b"]).iloc[0]
    # margin of one difference: 1.96 * sqrt(2) * 0.02 = 0.0554; differences 0.10, 0.02, 0.12
    assert got["detected"] == 2 and got["replicates"] == 3
    assert got["true_diff"] == pytest.approx(0.10)
    assert got["survey_margin"] == pytest.approx(Z95 * math.sqrt(2) * 0.02)
    assert got["power"] == pytest.approx(detection_power(0.10, math.sqrt(2) * 0.02))
    assert got["respondents"] == 400


# ---- negligible differences ----------------------------------------------------------------------

def test_every_headline_figure_has_a_negligible_threshold_with_its_reason():
    from sim.present.labels import HEADLINE
    from sim.runs.negligible import thresholds

    assert {m.key for m in HEADLINE} == set(thresholds())
    assert all(v > 0 for v in thresholds().values())


def test_a_clear_difference_inside_its_threshold_is_negligible_and_a_wider_one_is_not():
    key = "latency_counting_open_days.unfinished_share"  # threshold 0.001: 0.1 percentage point
    tiny = [("base", r, "ok", 0.0) for r in range(3)] + [("b", r, "ok", v) for r, v in enumerate([3e-4, 4e-4, 5e-4])]
    large = [("c", r, "ok", v) for r, v in enumerate([0.010, 0.012, 0.014])]
    straddles = [("d", r, "ok", v) for r, v in enumerate([1.0e-3, 1.2e-3, 1.4e-3])]  # real, reaches past 0.001
    runs = runs_table(tiny + large + straddles).rename(columns={"x": key})
    table = summarise(runs, [key], ["base", "b", "c", "d"]).set_index("label")
    assert table.loc["b", "real"] and table.loc["b", "negligible"]
    assert table.loc["c", "real"] and not table.loc["c", "negligible"]
    assert table.loc["d", "real"] and not table.loc["d", "negligible"]
    assert not table.loc["base", "negligible"]
    # a figure without a threshold keeps every real difference
    other = summarise(runs_table(tiny), ["x"], ["base", "b"]).set_index("label")
    assert other.loc["b", "real"] and not other.loc["b", "negligible"]


def test_a_negligible_difference_shows_its_digits_and_no_star():
    from sim.present.report import diff_text

    assert diff_text(3, 4e-4, 1e-4, True, "share", "en", negligible=True) == "+0.04 [+0.03, +0.05] ≈"
    assert diff_text(3, 4e-4, 1e-4, True, "share", "en") == "+0.04 [+0.03, +0.05] *"
    assert diff_text(3, 0.4, 0.1, True, "days", "en") == "+0.40 [+0.30, +0.50] *"
    assert diff_text(3, -0.0031, 0.01, False, "days", "en") == "−0.003 [−0.013, +0.007]"
    assert diff_text(3, 0.0, 0.0, False, "km", "en") == "+0.00 [+0.00, +0.00]"


def test_a_bad_threshold_file_is_one_clear_error(tmp_path):
    from sim.errors import ScenarioError
    from sim.runs.negligible import thresholds

    path = tmp_path / "negligible.toml"
    path.write_text('[thresholds]\n"latency_days.mean" = { threshold = -1, why = "x" }\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"thresholds\.latency_days\.mean: .*a number >= 0"):
        thresholds(path)
