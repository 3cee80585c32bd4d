"""The Bayes floor (fairgap.data.bayes): the analytic floor agrees with Monte Carlo on the generators' own
draws; equal knobs give no disparity; the default faces' floor has the values the design doc quotes.

Monte Carlo precision: with n = 2,000,000 draws the rarest cell of the configs below (darker smiling
faces, 11% of draws; women with effusion, 9%) holds about 180,000 examples, so a per-group TPR has a
standard error of at most 0.0011, a disparity (difference of two groups) at most 0.0012: the 0.005
tolerance is 4 or more standard errors (checked per quantity below).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairgap.data import bayes, synthetic_faces as faces, synthetic_xray as xray
from fairgap.data.bayes import bayes_floor, bayes_floor_for, floor_disparities
from fairgap.train import RunConfig

N = 2_000_000
TOLERANCE = 0.005

CONFIGS = {
    "faces-default": ("synthetic_faces", {}),
    "faces-changed": ("synthetic_faces", dict(group_proportion=0.4, base_rate=(0.3, 0.6), difficulty=(0.5, 0.1),
                                              label_noise=(0.1, 0.0), mouth_contrast="absolute")),
    "xray-default": ("synthetic_xray", {}),
    "xray-changed": ("synthetic_xray", dict(target="opacity", sensitive="age", prevalence=(0.15, 0.35),
                                            difficulty=(0.6, 0.3), ap_rate=(0.2, 0.7), device_rate=(0.05, 0.5),
                                            label_noise=(0.0, 0.08))),
}


def standard_errors(floor: pd.DataFrame, n: int) -> pd.DataFrame:
    """Binomial standard errors of the Monte Carlo rates, from the analytic rates and expected counts."""
    count = floor["share"] * n
    positives, negatives = count * floor["base_rate"], count * (1 - floor["base_rate"])
    se = pd.DataFrame(index=floor.index)
    se["tpr"] = np.sqrt(floor["tpr"] * (1 - floor["tpr"]) / positives)
    se["fpr"] = np.sqrt(floor["fpr"] * (1 - floor["fpr"]) / negatives)
    for column in ("accuracy", "selection_rate"):
        se[column] = np.sqrt(floor[column] * (1 - floor[column]) / count)
    return se


@pytest.mark.parametrize("name", list(CONFIGS))
def test_analytic_floor_agrees_with_monte_carlo(name):
    dataset, options = CONFIGS[name]
    analytic = bayes_floor(dataset, options)
    sampled = bayes_floor(dataset, options, method="monte_carlo", n=N, seed=1)
    se = standard_errors(analytic, N)
    groups = [g for g in analytic.index if g != "all"]
    for column in ("tpr", "fpr", "accuracy", "selection_rate"):
        assert (4 * se.loc[groups, column] <= TOLERANCE).all(), (column, se[column])   # the tolerance is >= 4 SE
        np.testing.assert_allclose(sampled[column], analytic[column], atol=TOLERANCE, err_msg=f"{name}: {column}")
    for metric, value in floor_disparities(analytic).items():
        assert floor_disparities(sampled)[metric] == pytest.approx(value, abs=TOLERANCE), f"{name}: {metric}"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_threshold_is_bayes_rule_on_a_grid(name):
    """The likelihood ratio rises with the cue (equal-variance normals), so Bayes' rule, applied point by
    point on a fine grid of cues, predicts 1 exactly above the analytic threshold, for every group and cell."""
    dataset, options = CONFIGS[name]
    config = bayes._config_of(dataset, options)
    for g, model in enumerate(bayes._group_models(dataset, config)):
        (m0, m1), sigma = model["means"], model["sigma"]
        cue = np.linspace(m0 - 6 * sigma, m1 + 6 * sigma, 20001)
        for index, (c0, c1) in enumerate(model["cells"]):
            n = len(cue)
            if dataset == "synthetic_faces":
                attrs = {"group": np.full(n, g), "lift": cue}
            else:
                attrs = {"group": np.full(n, g), config.target: cue,
                         "ap": np.full(n, index // 2, dtype=bool), "device": np.full(n, index % 2, dtype=bool)}
            predicted = bayes.bayes_predictions(dataset, config, attrs)
            t = bayes.decision_threshold((1 - model["prior"]) * c0, model["prior"] * c1, m0, m1, sigma, model["noise"])
            step = cue[1] - cue[0]
            disagree = predicted != (cue >= t)
            assert not disagree.any() or np.abs(cue[disagree] - t).max() <= step, (name, g, index, t)


def test_equal_knobs_give_no_floor_disparity():
    equal_faces = dict(base_rate=(0.4, 0.4), difficulty=(0.3, 0.3), label_noise=(0.03, 0.03),
                       skin=((0.69, 0.545, 0.44),) * 2)
    equal_xray = dict(prevalence=(0.25, 0.25), difficulty=(0.4, 0.4), label_noise=(0.03, 0.03),
                      sex_anatomy=0.0, breast_shadows=0.0)
    for dataset, options in (("synthetic_faces", equal_faces), ("synthetic_xray", equal_xray),
                             ("synthetic_xray", {**equal_xray, "sensitive": "age", "age_anatomy": 0.0})):
        disparities = floor_disparities(bayes_floor(dataset, options))
        assert all(value == pytest.approx(0, abs=1e-12) for value in disparities.values()), (dataset, disparities)
    # Only the generators' latents enter the floor: skin colour and mouth contrast change the pixels, not it.
    assert bayes_floor("synthetic_faces", {"mouth_contrast": "absolute"}).equals(bayes_floor("synthetic_faces"))


def test_default_faces_floor():
    floor = bayes_floor("synthetic_faces")
    assert floor.loc["lighter", "tpr"] == pytest.approx(0.9750, abs=5e-4)
    # The Bayes rule uses the darker group's base rate 0.35: its threshold is above the midpoint.
    assert floor.loc["darker", "tpr"] == pytest.approx(0.8618, abs=5e-4)
    assert floor.loc["lighter", "fpr"] == pytest.approx(0.0250, abs=5e-4)
    assert floor.loc["darker", "fpr"] == pytest.approx(0.0517, abs=5e-4)
    disparities = floor_disparities(floor)
    assert disparities["equalized_odds_difference"] == pytest.approx(0.1132, abs=5e-4)
    assert disparities["equal_opportunity_difference"] == pytest.approx(0.1132, abs=5e-4)
    assert disparities["demographic_parity_difference"] == pytest.approx(0.1526, abs=5e-4)
    # The threshold at the midpoint (lift 0: the rule that ignores the base rates) gives TPR 0.975 vs 0.879,
    # an equalized-odds difference of 0.096; it is less accurate for the darker group than the Bayes rule.
    from scipy.special import ndtr
    m, sigma, prior, noise = 0.55 * faces.MAX_LIFT, faces.LIFT_JITTER, 0.35, 0.05
    midpoint_tpr = (prior * (1 - noise) * ndtr(m / sigma) + (1 - prior) * noise * ndtr(-m / sigma)) / \
        (prior * (1 - noise) + (1 - prior) * noise)
    assert midpoint_tpr == pytest.approx(0.879, abs=5e-4)
    assert floor.loc["lighter", "tpr"] - midpoint_tpr == pytest.approx(0.096, abs=1e-3)


def test_table_shape_and_overall_row():
    floor = bayes_floor("synthetic_xray")
    assert list(floor.index) == ["male", "female", "all"]
    assert list(floor.columns) == list(bayes.COLUMNS)
    groups = floor.drop(index="all")
    assert floor.loc["all", "accuracy"] == pytest.approx((groups["share"] * groups["accuracy"]).sum())
    assert floor.loc["all", "selection_rate"] == pytest.approx((groups["share"] * groups["selection_rate"]).sum())
    assert set(floor_disparities(floor)) == {"demographic_parity_difference", "equal_opportunity_difference",
                                             "equalized_odds_difference", "accuracy_difference"}
    assert list(bayes_floor("synthetic_xray", {"sensitive": "age"}).index) == ["under 60", "60 and over", "all"]


def test_floor_for_a_run_config_merges_its_options_over_the_defaults():
    run = RunConfig(dataset="synthetic_faces", data={"n_train": 200, "seed": 4, "difficulty": [0.3, 0.3]})
    expected = bayes_floor("synthetic_faces", faces.FaceConfig(difficulty=(0.3, 0.3)))
    pd.testing.assert_frame_equal(bayes_floor_for(run), expected)
    pd.testing.assert_frame_equal(bayes_floor_for(RunConfig(dataset="synthetic_xray")), bayes_floor("synthetic_xray"))
    with pytest.raises(ValueError, match="No Bayes floor for dataset 'celeba'"):
        bayes_floor_for(RunConfig(dataset="celeba"))
    with pytest.raises(ValueError, match="Unknown option"):
        bayes_floor_for(RunConfig(dataset="synthetic_xray", data={"prevalance": [0.2, 0.2]}))


def test_the_floor_is_cached_and_a_copy():
    a = bayes_floor("synthetic_faces", {"seed": 1, "n_train": 50})
    a.loc["lighter", "tpr"] = -1.0
    b = bayes_floor("synthetic_faces")
    assert b.loc["lighter", "tpr"] > 0.9
    assert bayes._floor.cache_info().hits >= 1


def test_edge_cases_are_defined():
    # no cue at all: the rule follows the base rate; label noise 0.5: every latent a tie, predicted 1
    floor = bayes_floor("synthetic_faces", dict(difficulty=(1.0, 1.0), base_rate=(0.6, 0.4)))
    assert floor.loc["lighter", "selection_rate"] == 1.0 and floor.loc["darker", "selection_rate"] == 0.0
    assert bayes_floor("synthetic_faces", dict(label_noise=(0.5, 0.5))).loc["all", "selection_rate"] == 1.0
    # a projection only positives get: it decides alone
    floor = bayes_floor("synthetic_xray", dict(ap_rate=(0.0, 0.5)))
    assert floor.loc["all", "tpr"] > bayes_floor("synthetic_xray").loc["all", "tpr"]
    for bad, message in ((dict(method="exact"), "method="), (dict(method="monte_carlo", n=0), "n must")):
        with pytest.raises(ValueError, match=message):
            bayes_floor("synthetic_faces", **bad)
