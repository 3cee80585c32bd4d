"""Notebook 07's claims and F7's summary, on small constructed results tables with a known answer."""

import numpy as np
import pandas as pd
import pytest

from fairgap.claims.remedies import findings, remedy_claims
from fairgap.evidence import NOT_SHOWN, SHOWN, t_interval
from fairgap.experiments import POSTPROCESSED
from fairgap.sweep import remedy_summary

DISPARITY = "equalized_odds_difference"


def remedies_table(runs: dict[str, list[tuple[float, float, float]]]) -> pd.DataFrame:
    """compare_remedies' format: label -> per seed (train disparity, test disparity, test accuracy)."""
    rows = []
    for label, per_seed in runs.items():
        for seed, (train, test, accuracy) in enumerate(per_seed):
            run = f"{label}-{seed}"
            for split, disparity in (("train", train), ("test", test)):
                rows.append(dict(run=run, label=label, seed=seed, epoch=10, split=split, group="all",
                                 metric=DISPARITY, value=disparity))
                rows.append(dict(run=run, label=label, seed=seed, epoch=10, split=split, group="all",
                                 metric="accuracy", value=accuracy if split == "test" else 1.0))
    return pd.DataFrame(rows)


SEEDS = range(5)
KNOWN = {
    "ERM": [(0.0, 0.40 + 0.01 * s, 0.90) for s in SEEDS],
    "constrained": [(0.0, 0.35 + 0.02 * s, 0.89 + 0.002 * s) for s in SEEDS],
    # lowers test disparity at every seed, same accuracy: the disparity claim holds, the cost does not
    "+ helps": [(0.0, 0.20 + 0.02 * s, 0.89 + 0.002 * s) for s in SEEDS],
    # lower at some seeds, higher at others: straddles 0
    "+ noise": [(0.0, 0.35 + 0.02 * s + d, a) for s, d, a in zip(SEEDS, (-0.2, 0.2, -0.15, 0.15, 0.01),
                                                                (0.87, 0.91, 0.88, 0.90, 0.89))],
    POSTPROCESSED: [(0.30, 0.05 + 0.01 * s, 0.70 + 0.01 * s) for s in SEEDS],
}


def verdicts(table: pd.DataFrame) -> dict:
    return table.set_index("claim").verdict.to_dict()


def test_remedy_claims_find_the_effect_that_is_there_and_not_the_one_that_is_not():
    claims = remedy_claims(remedies_table(KNOWN), DISPARITY)
    v = verdicts(claims)
    assert v["constrained: test disparity above train disparity"] == SHOWN
    assert v["ERM: test disparity above train disparity"] == SHOWN
    assert v["+ helps: lower test disparity than constrained"] == SHOWN
    assert v["+ helps: lower test accuracy than constrained"] == NOT_SHOWN   # paired difference is exactly 0
    assert v["+ noise: lower test disparity than constrained"] == NOT_SHOWN
    assert v[f"{POSTPROCESSED}: lower test disparity than ERM"] == SHOWN
    assert v[f"{POSTPROCESSED}: lower test accuracy than ERM"] == SHOWN
    row = claims.set_index("claim").loc["+ helps: lower test disparity than constrained"]
    assert row.estimate == pytest.approx(-0.15) and row.n == 5 and row.upper < 0
    noise = claims.set_index("claim").loc["+ noise: lower test disparity than constrained"]
    assert noise.lower < 0 < noise.upper


def test_one_seed_shows_nothing_and_a_table_without_the_constrained_run_is_refused():
    one_seed = {label: runs[:1] for label, runs in KNOWN.items()}
    claims = remedy_claims(remedies_table(one_seed), DISPARITY)
    assert set(claims.verdict) == {NOT_SHOWN} and set(claims.n) == {1}
    with pytest.raises(ValueError, match="no 'constrained' runs"):
        remedy_claims(remedies_table({k: v for k, v in KNOWN.items() if k != "constrained"}), DISPARITY)


def test_summary_intervals_are_the_claims_t_intervals_and_reaching_the_front_is_marked():
    # Test disparities piled up near 0 with one outlier: the t-interval is symmetric and reaches below 0 (the
    # seeds cannot tell the mean from 0), as the claims' interval does.
    runs = {**KNOWN, "+ near zero": [(0.0, d, 0.70) for d in (0.0, 0.0, 0.01, 0.0, 0.3)],
            "+ worse": [(0.0, 0.5 + 0.01 * s, 0.85 + 0.01 * s) for s in SEEDS]}
    summary = remedy_summary(remedies_table(runs), DISPARITY)
    for column in (f"test {DISPARITY}", "test accuracy"):
        assert np.allclose(summary[f"{column} ci_low"] + summary[f"{column} ci_high"], 2 * summary[column])
    near = summary.loc["+ near zero"]
    assert (near[f"test {DISPARITY} ci_low"], near[f"test {DISPARITY} ci_high"]) == pytest.approx(
        t_interval([0.0, 0.0, 0.01, 0.0, 0.3]))
    assert near[f"test {DISPARITY} ci_low"] < 0
    assert summary.loc["+ near zero", "pareto"] and summary.loc[POSTPROCESSED, "pareto"]
    # '+ noise' is dominated by '+ helps' on the means, but its interval's best corner is not.
    assert not summary.loc["+ noise", "pareto"] and summary.loc["+ noise", "reaches front"]
    assert not summary.loc["+ worse", "reaches front"]   # beaten by '+ helps' even at its intervals' best ends
    assert (summary.seeds == 5).all()


def test_findings_quote_the_claims_and_say_what_is_not_shown():
    table = remedies_table(KNOWN)
    claims = remedy_claims(table, DISPARITY)
    text = findings(claims, remedy_summary(table, DISPARITY), DISPARITY)
    helps = claims.set_index("claim").loc["+ helps: lower test disparity than constrained"]
    assert f"shown for + helps {helps.estimate:.2f} [{helps.lower:.2f}, {helps.upper:.2f}] (n = 5, shown)" in text
    assert "Not shown (the interval is not entirely below 0, or there is one seed) for + noise" in text
    assert np.isfinite(claims[["estimate", "lower", "upper"]].to_numpy(dtype=float)).all()
