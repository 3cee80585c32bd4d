"""Notebook 06's claims, on small constructed score tables with a known answer."""

import numpy as np
import pandas as pd
import pytest

from fairgap.studies import f6_medical as medical
from fairgap.studies.f6_medical import findings, medical_claims
from fairgap.evidence import NOT_SHOWN, SHOWN
from fairgap.train import RunConfig, RunResult

GAP = "equal_opportunity_difference"


def score_table(seeds=range(5)) -> pd.DataFrame:
    """medical.score_table's format. ERM and 'Penalty' fit the training images (AUC 1, TPR gap 0); on test the
    gap is back at every seed. 'Penalty' lowers the men's test AUC at every seed and leaves the women's alone
    (a change that straddles 0); 'Small' does not fit (training AUC 0.9) and keeps its gap on test."""
    rows = []

    def add(method, seed, split, auc_male, auc_female, gap):
        for group, auc in (("male", auc_male), ("female", auc_female)):
            rows.append(dict(method=method, seed=seed, split=split, group=group, metric="auc", value=auc))
            rows.append(dict(method=method, seed=seed, split=split, group=group, metric="tpr", value=0.8))
        rows.append(dict(method=method, seed=seed, split=split, group="all", metric=GAP, value=gap))

    noise = (0.01, -0.012, 0.008, -0.009, 0.002)
    for seed in seeds:
        s = 0.01 * seed
        for method in ("ERM", "Penalty"):
            add(method, seed, "train", 1.0, 1.0, 0.0)
        add("ERM", seed, "test", 0.95 - s, 0.77 + s, 0.27 + s)
        add("Penalty", seed, "test", 0.92 - s + noise[seed] / 10, 0.77 + s + noise[seed], 0.20 + s + noise[seed] / 10)
        add("Small", seed, "train", 0.95, 0.90, 0.05 + s)
        add("Small", seed, "test", 0.93 - s, 0.80 + s + noise[seed] / 10, 0.05 + s + noise[seed])
    return pd.DataFrame(rows)


def test_medical_claims_find_the_effect_that_is_there_and_not_the_one_that_is_not():
    claims = medical_claims(score_table()).set_index("claim")
    assert claims.loc["ERM: TPR gap larger on test than on training patients", "verdict"] == SHOWN
    assert claims.loc["Penalty: TPR gap larger on test than on training patients", "verdict"] == SHOWN
    assert claims.loc["Small: TPR gap larger on test than on training patients", "verdict"] == NOT_SHOWN
    lowered = claims.loc["Penalty: male's test AUC differs from ERM's"]
    assert lowered.verdict == SHOWN and lowered.estimate == pytest.approx(-0.03, abs=1e-3) and lowered.upper < 0
    assert claims.loc["Penalty: female's test AUC differs from ERM's", "verdict"] == NOT_SHOWN
    raised = claims.loc["Small: female's test AUC differs from ERM's"]
    assert raised.verdict == SHOWN and raised.lower > 0     # a rise is shown too: the claim is "differs"
    # per method: gap test vs train; per method vs ERM: meets its constraint, two TPR-gap and two AUC claims
    assert len(claims) == 3 + 2 * 3 + 2 * 2
    lower_gap = claims.loc["Penalty: lower test TPR gap than ERM"]     # 0.20 + s against 0.27 + s at every seed
    assert lower_gap.verdict == SHOWN and lower_gap.estimate == pytest.approx(-0.07, abs=1e-3)
    assert claims.loc["Penalty: test TPR gap − ERM's > −0.05", "verdict"] == NOT_SHOWN   # it bought 0.07


def test_one_seed_shows_nothing_and_a_missing_reference_is_refused():
    assert set(medical_claims(score_table(seeds=[0])).verdict) == {NOT_SHOWN}
    with pytest.raises(ValueError, match="No 'ERM' runs"):
        medical_claims(score_table().query("method != 'ERM'"))


def test_findings_sort_the_changes_and_name_the_runs_that_do_not_fit():
    table = score_table()
    claims = medical_claims(table)
    text = findings(table, claims, pd.DataFrame(columns=["method", "metric"]), {"male": 0.05, "female": 0.07})
    assert "lowered for Penalty (male) -0.03 [" in text and "raised for Small (female) 0.03 [" in text
    assert "not fitted: Small (lowest group training AUC 0.90)" in text
    assert "± 0.05 (male), 0.07 (female)" in text


def fake_run(seed: int, shift: float, n: int = 300) -> RunResult:
    scores = {}
    for k, split in enumerate(("train", "val", "test")):
        r = np.random.default_rng(10 + k)
        group, target = r.integers(0, 2, n), (r.random(n) < 0.4).astype(np.int64)
        logit = 1.5 * (2 * target - 1) + r.normal(0, 1, n) + np.random.default_rng(seed).normal(0, 0.3, n)
        scores[split] = {"score": 1 / (1 + np.exp(-(logit + shift * group * target))), "target": target, "group": group}
    return RunResult(RunConfig(seed=seed), pd.DataFrame(), scores, {"group_labels": ["male", "female"]})


def test_consequences_give_an_interval_over_seeds_beside_the_one_over_test_patients():
    results = {(label, s): fake_run(s, shift) for label, shift in (("ERM", 0.0), ("Boost", 1.0)) for s in range(3)}
    changes = medical.consequences(results, medical.score_table(results), n_boot=20)
    female = changes[(changes.group == "female") & (changes.metric == "AUC")].iloc[0]
    assert female.seeds == 3 and female.seed_low <= female.change <= female.seed_high
    assert female.seed_low > 0     # the women's positives score higher under 'Boost' at every seed
    male = changes[(changes.group == "male") & (changes.metric == "AUC")].iloc[0]
    assert male.change == pytest.approx(0) and male.seed_low == male.seed_high == pytest.approx(0)
    halfwidth = medical.sampling_halfwidth(results)
    assert set(halfwidth) == {"male", "female"} and 0 < halfwidth["female"] < 0.2


def test_notebook_06_runs_several_seeds_by_default_and_one_in_smoke():
    assert medical.scale("smoke")["seeds"] == [0]
    assert len(set(medical.scale("default")["seeds"])) >= 3 and len(set(medical.scale("paper")["seeds"])) >= 3
    with pytest.raises(ValueError):
        medical.scale("huge")
