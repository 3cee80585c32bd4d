"""Intervals over seeds, claims, Holm's adjustment and the saved claims tables (fairgap.evidence)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fairgap.evidence import (CLAIM_COLUMNS, EXPLORATORY, NOT_SHOWN, PRIMARY, SHOWN, adjust_collection, claim,
                              claims_table, fmt, holm, mean_interval, one_sided_p, paired, rebuild_claims,
                              save_claims, t_interval, untestable)

REPETITIONS = 20_000   # per cell: the coverage estimate's standard error is 0.15 points at 95%
SKEWED = (2.0, 5.0)    # Beta(2, 5): bounded in [0, 1], skewness 0.60, mean 2/7


def coverage(interval, draw, mean: float, n: int) -> float:
    """Share of ``REPETITIONS`` samples of size ``n`` whose interval contains ``mean``."""
    samples = draw((REPETITIONS, n))
    low, high = interval(samples)
    return float(np.mean((low <= mean) & (mean <= high)))


def t_rows(samples):
    """``t_interval`` applied to every row (checked equal to the function on a few rows below)."""
    n = samples.shape[1]
    half = stats.t.ppf(0.975, n - 1) * samples.std(axis=1, ddof=1) / np.sqrt(n)
    return samples.mean(axis=1) - half, samples.mean(axis=1) + half


def percentile_bootstrap_rows(samples, resamples: int = 400, seed: int = 0):
    """The percentile bootstrap this module used before, per row (for the contrast)."""
    rng = np.random.default_rng(seed)
    n = samples.shape[1]
    picks = rng.integers(0, n, size=(resamples, n))
    means = samples[:, picks].mean(axis=2)
    return np.quantile(means, 0.025, axis=1), np.quantile(means, 0.975, axis=1)


def test_the_vectorised_interval_is_the_modules():
    rows = np.random.default_rng(3).normal(size=(5, 4))
    low, high = t_rows(rows)
    for i, row in enumerate(rows):
        assert t_interval(row) == pytest.approx((low[i], high[i]), rel=1e-12)


@pytest.mark.parametrize("n", [3, 5, 10])
@pytest.mark.parametrize("data", ["normal", "beta"])
def test_t_interval_covers_at_least_93_percent_at_the_seeds_we_run(n, data):
    rng = np.random.default_rng(20 + n)
    if data == "normal":
        draw, mean = (lambda size: rng.normal(0.3, 0.1, size=size)), 0.3
    else:
        a, b = SKEWED
        draw, mean = (lambda size: rng.beta(a, b, size=size)), a / (a + b)
    assert coverage(t_rows, draw, mean, n) >= 0.93


def test_the_coverage_check_can_fail_the_percentile_bootstrap_under_covers_at_three_seeds():
    rng = np.random.default_rng(7)
    rate = coverage(lambda s: percentile_bootstrap_rows(s), lambda size: rng.normal(size=size), 0.0, 3)
    assert rate < 0.85  # about 75%: [min, max] of three values


def test_one_sided_p_matches_scipy_and_the_interval():
    values = [0.12, 0.05, 0.2, 0.09, 0.15]
    assert one_sided_p(values, ">") == pytest.approx(stats.ttest_1samp(values, 0, alternative="greater").pvalue)
    assert one_sided_p(values, "<", 0.3) == pytest.approx(stats.ttest_1samp(values, 0.3, alternative="less").pvalue)
    low, _ = t_interval(values)
    # p < 0.025 exactly when the 95% interval's lower end is above the null
    for null in (low - 1e-6, low + 1e-6):
        assert (one_sided_p(values, ">", null) < 0.025) == (low > null)
    assert np.isnan(one_sided_p([0.3], ">"))
    assert np.isnan(one_sided_p([0.2, 0.2], ">"))   # no spread: nothing to test against
    assert claim("two collapsed runs", "x", [0.0, 0.0], ">", -0.05).verdict == NOT_SHOWN


def test_t_interval_degenerate_input():
    assert all(np.isnan(t_interval([])))
    assert all(np.isnan(t_interval([0.4])))  # one run says nothing about the spread over runs
    assert t_interval([0.2, 0.2, 0.2]) == pytest.approx((0.2, 0.2))
    assert t_interval([0.1, np.nan, 0.3]) == t_interval([0.1, 0.3])


def test_claim_verdict_needs_the_interval_on_the_claimed_side():
    clearly_positive = claim("gap > 0", "test - train", [0.3, 0.35, 0.4, 0.28, 0.33])
    assert clearly_positive.verdict == SHOWN and clearly_positive.lower > 0 and clearly_positive.n == 5
    straddling = claim("gap > 0", "test - train", [0.3, -0.2, 0.1, -0.1, 0.05])
    assert straddling.verdict == NOT_SHOWN and straddling.lower < 0 < straddling.upper
    assert claim("drop < 0", "change", [-0.1, -0.12, -0.11], direction="<").verdict == SHOWN
    # three seeds that agree in sign are not enough when they spread (the bootstrap's [min, max] said shown)
    assert claim("agree in sign", "x", [0.01, 0.2, 0.4]).verdict == NOT_SHOWN
    assert claim("one seed", "x", [0.5]).verdict == NOT_SHOWN  # no evidence from one run
    with pytest.raises(ValueError, match="direction"):
        claim("x", "y", [1, 2], direction=">=")
    with pytest.raises(ValueError, match="kind"):
        claim("x", "y", [1, 2], kind="main")


def test_non_superiority_claim_uses_its_margin():
    small_gain = claim("gains at most 0.01", "Δ", [0.002, -0.001, 0.004, 0.0, 0.003, 0.001], "<", 0.01)
    assert small_gain.verdict == SHOWN and small_gain.upper < 0.01
    gains = claim("gains at most 0.01", "Δ", [0.03, 0.05, 0.02, 0.04, 0.06], "<", 0.01)
    assert gains.verdict == NOT_SHOWN and gains.lower > 0.01


def test_primary_claims_wait_for_the_adjustment():
    values = [0.3, 0.35, 0.4, 0.28, 0.33]
    assert claim("x", "s", values, kind=PRIMARY).verdict == NOT_SHOWN  # until adjust_collection
    assert claim("x", "s", values, kind=EXPLORATORY).verdict == SHOWN


def test_holm_matches_the_step_down_definition():
    p = [0.01, 0.04, 0.03, 0.5]
    assert holm(p).tolist() == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([0.2, np.nan]).tolist() == [0.4, 1.0]
    rng = np.random.default_rng(0)
    for _ in range(20):   # monotone in every p-value: raising one never lowers another's adjusted value
        p = rng.uniform(0, 0.1, size=6)
        raised = p.copy()
        raised[rng.integers(6)] = 1.0
        assert np.all(holm(raised) >= holm(p) - 1e-15)


def write_table(folder, notebook, claims):
    path = folder / notebook
    path.mkdir(parents=True, exist_ok=True)
    table = claims_table(claims)
    table[list(CLAIM_COLUMNS)].to_csv(path / "claims.csv", index=False)
    return table


def test_adjust_collection_holm_over_every_primary_claim_and_the_undeclared(tmp_path):
    strong = [0.3, 0.35, 0.4, 0.28, 0.33, 0.31, 0.36, 0.29, 0.34, 0.32]
    weak = [0.05, -0.02, 0.08, -0.01, 0.06, 0.03, 0.07, -0.03, 0.04, 0.05]
    write_table(tmp_path, "01_a", [claim("A strong", "s", strong, kind=PRIMARY), claim("A explore", "s", weak)])
    write_table(tmp_path, "02_b", [claim("B weak", "s", weak, kind=PRIMARY)])
    tables = adjust_collection(tmp_path, {"01_a": 1, "02_b": 1, "03_not_run": 3})
    a, b = tables["01_a"].set_index("claim"), tables["02_b"].set_index("claim")
    p_strong, p_weak = one_sided_p(strong), one_sided_p(weak)
    # five hypotheses (three declared but not run count with p = 1)
    expected = holm([p_strong, p_weak, 1, 1, 1])
    assert a.loc["A strong", "p_adjusted"] == pytest.approx(expected[0])
    assert b.loc["B weak", "p_adjusted"] == pytest.approx(expected[1])
    assert a.loc["A strong", "verdict"] == SHOWN
    assert p_weak < 0.025 and b.loc["B weak", "verdict"] == NOT_SHOWN   # shown alone, not after Holm
    assert np.isnan(a.loc["A explore", "p_adjusted"]) and a.loc["A explore", "verdict"] == SHOWN
    # the files were rewritten with the adjusted values
    assert pd.read_csv(tmp_path / "02_b" / "claims.csv").p_adjusted.iloc[0] == pytest.approx(expected[1])


def test_holm_runs_within_each_family_and_counts_the_undeclared_in_theirs(tmp_path):
    strong = [0.3, 0.35, 0.4, 0.28, 0.33, 0.31, 0.36, 0.29, 0.34, 0.32]
    weak = [0.05, -0.02, 0.08, -0.01, 0.06, 0.03, 0.07, -0.03, 0.04, 0.05]
    write_table(tmp_path, "01_a", [claim("A strong", "s", strong, kind=PRIMARY)])
    write_table(tmp_path, "01_a-adult", [claim("A weak", "s", weak, kind=PRIMARY)])
    family = lambda notebook, text: "adult" if notebook.endswith("-adult") else "generated"  # noqa: E731
    tables = adjust_collection(tmp_path, {"01_a": ("generated",), "01_a-adult": ("adult",),
                                          "02_not_run-adult": ("adult", "adult")}, family)
    p_strong, p_weak = one_sided_p(strong), one_sided_p(weak)
    assert tables["01_a"].p_adjusted.iloc[0] == pytest.approx(p_strong)   # alone in its family
    assert tables["01_a-adult"].p_adjusted.iloc[0] == pytest.approx(holm([p_weak, 1, 1])[0])
    assert tables["01_a-adult"].verdict.iloc[0] == NOT_SHOWN
    pooled = adjust_collection(tmp_path, {"01_a": 1, "01_a-adult": 1, "02_not_run-adult": 2})   # one family
    assert pooled["01_a"].p_adjusted.iloc[0] == pytest.approx(holm([p_strong, p_weak, 1, 1])[0])


def test_saved_claims_rebuild_from_their_values(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRGAP_FIGURES", str(tmp_path))
    seeds = pd.Series([0.3, 0.4, 0.35], index=[4, 7, 9])
    table = claims_table([claim("gap > 0", "test - train", seeds),
                          claim("primary one", "Δ", [-0.1, -0.12, -0.09, -0.11], "<", kind=PRIMARY),
                          untestable("no setting", "s")])
    saved = save_claims(table, "01_x", profile="smoke", declared={"01_x": 1})
    assert tuple(saved.columns) == CLAIM_COLUMNS
    values = pd.read_csv(tmp_path / "01_x" / "claims_values.csv")
    assert values[values.claim == "gap > 0"].unit.tolist() == [4, 7, 9]   # the seeds are kept
    claims = pd.read_csv(tmp_path / "01_x" / "claims.csv")
    pd.testing.assert_frame_equal(rebuild_claims(claims, values), claims, check_dtype=False)
    # a value that changes is caught
    values.loc[0, "value"] = 0.9
    assert not rebuild_claims(claims, values).estimate.equals(claims.estimate)
    with pytest.raises(ValueError, match="missing: verdict"):
        save_claims(table.drop(columns="verdict"), "01_x", profile="smoke")
    with pytest.raises(ValueError, match="distinct"):
        save_claims(pd.concat([table, table]), "01_x", profile="smoke")


def test_paired_differences_match_seeds():
    frame = pd.DataFrame({"label": ["a", "a", "a", "b", "b"], "seed": [0, 1, 2, 0, 2], "value": [1, 2, 3, 0.5, 1]})
    diff = paired(frame, "label", "a", "b")
    assert diff.to_dict() == {0: 0.5, 2: 2.0}


def test_mean_interval_columns_and_counts():
    frame = pd.DataFrame({"k": ["x", "x", "y"], "value": [0.1, 0.3, 0.5]})
    out = mean_interval(frame, ["k"]).set_index("k")
    assert list(out.columns) == ["mean", "n", "ci_low", "ci_high"]
    assert out.loc["x", "n"] == 2 and out.loc["x", "mean"] == pytest.approx(0.2)
    assert (out.loc["x", "ci_low"], out.loc["x", "ci_high"]) == pytest.approx(t_interval([0.1, 0.3]))
    assert np.isnan(out.loc["y", "ci_low"])


def test_fmt():
    assert fmt(0.3141, 0.2, 0.4) == "0.31 [0.20, 0.40]"
    assert fmt(0.3141, float("nan"), float("nan")) == "0.31"
    assert fmt(float("nan")) == "n/a"


def test_rate_halfwidth():
    from fairgap.evidence import rate_halfwidth

    assert rate_halfwidth(400) == pytest.approx(1.959964 * 0.5 / 20, rel=1e-5)
    assert rate_halfwidth(1600) == pytest.approx(rate_halfwidth(400) / 2)
    assert np.isnan(rate_halfwidth(0))


def test_group_rate_halfwidths_reach_0_01_at_9604_examples_and_never_call_a_rate_of_0_exact():
    from fairgap.evidence import group_rate_halfwidths

    worst = group_rate_halfwidths(9604, 9604, 0.35, 0.5, 0.5)
    assert worst["tpr"] == pytest.approx(0.01, abs=2e-5) and worst["accuracy"] < worst["tpr"]
    assert group_rate_halfwidths(9604, 9604, 0.35, 0.9, 0.1)["tpr"] < 0.0065
    collapsed = group_rate_halfwidths(275, 275, 0.5, 0.0, 0.0)
    assert collapsed["tpr"] == pytest.approx(3.84 / 278.84 * 1.2, rel=0.2)     # about the Wilson bound, not 0
    assert collapsed["tpr"] > 0.01 and group_rate_halfwidths(500, 500, 0.5, 0.0, 0.0)["tpr"] < 0.01
    assert np.isnan(group_rate_halfwidths(0, 10, 0.5, 0.5, 0.5)["tpr"])
