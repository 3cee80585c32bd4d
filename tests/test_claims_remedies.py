"""Notebook 07's claims and F7's summary, on small constructed results tables with a known answer."""

import numpy as np
import pandas as pd
import pytest

from fairgap.claims import mark_primary
from fairgap.claims.primary import EO_WEIGHT, is_primary_setting, seeds_for
from fairgap.evidence import NOT_SHOWN, PRIMARY, SHOWN, t_interval
from fairgap.remedies import POSTPROCESSED
from fairgap.remedies import CONTROL, USES_VALIDATION
from fairgap.studies.f7_remedies import finite_test, findings, held_out_summary, remedy_claims, remedy_specs
from fairgap.sweep import remedy_summary

DISPARITY = "equalized_odds_difference"
CONSTRAINED = {"method": "equalized_odds_max_penalty", "weight": EO_WEIGHT, "warmup_epochs": 2}


def remedies_table(runs: dict[str, list[tuple[float, float, float]]],
                   population: dict[str, list[tuple[float, float]]] | None = None) -> pd.DataFrame:
    """compare_remedies' format: label -> per seed (train disparity, test disparity, test accuracy); with
    ``population``, label -> per seed (population disparity, population accuracy) for every label."""
    rows = []
    for label, per_seed in runs.items():
        for seed, (train, test, accuracy) in enumerate(per_seed):
            run = f"{label}-{seed}"
            splits = [("train", train, 1.0), ("test", test, accuracy)]
            if population is not None:
                splits.append(("population", *population[label][seed]))
            for split, disparity, split_accuracy in splits:
                rows.append(dict(run=run, label=label, seed=seed, data_seed=seed, epoch=10, split=split,
                                 group="all", metric=DISPARITY, value=disparity))
                rows.append(dict(run=run, label=label, seed=seed, data_seed=seed, epoch=10, split=split,
                                 group="all", metric="accuracy", value=split_accuracy))
    return pd.DataFrame(rows)


SEEDS = range(5)
KNOWN = {
    "ERM": [(0.0, 0.40 + 0.01 * s, 0.90) for s in SEEDS],
    "constrained": [(0.0, 0.35 + 0.02 * s, 0.89 + 0.002 * s) for s in SEEDS],
    # the validation labels alone lower the disparity a little at every seed, at no accuracy cost
    CONTROL: [(0.0, 0.30 + 0.02 * s + d, 0.89 + 0.002 * s) for s, d in zip(SEEDS, (0.005, -0.005, 0.0, 0.005, -0.005))],
    # lowers test disparity at every seed, same accuracy: the disparity claim holds, the cost does not
    "+ helps": [(0.0, 0.20 + 0.02 * s, 0.89 + 0.002 * s) for s in SEEDS],
    # lower at some seeds, higher at others: straddles 0
    "+ noise": [(0.0, 0.35 + 0.02 * s + d, a) for s, d, a in zip(SEEDS, (-0.2, 0.2, -0.15, 0.15, 0.01),
                                                                (0.87, 0.91, 0.88, 0.90, 0.89))],
    # uses the validation split: beats the constrained run, but no more than the control does
    "+ early stopping on val disparity": [(0.0, 0.30 + 0.02 * s + d, 0.89 + 0.002 * s)
                                          for s, d in zip(SEEDS, (-0.01, 0.01, -0.01, 0.01, 0.0))],
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
    text = findings(claims, held_out_summary(table, DISPARITY), DISPARITY)
    c = claims.set_index("claim")
    helps = c.loc["+ helps: lower test disparity than constrained"]
    shown, not_shown = text.split("Not shown (the interval is not entirely below 0, or there is one seed) for ")
    assert f"+ helps {helps.estimate:.2f} [{helps.lower:.2f}, {helps.upper:.2f}] (n = 5, shown)" in \
        shown.split("Lower test disparity than the constrained run")[1]
    assert "+ noise" in not_shown.split("\n")[0] and "+ helps" not in not_shown.split("\n")[0]
    versus_control = c.loc[f"+ early stopping on val disparity: lower test disparity than {CONTROL}"]
    assert versus_control.verdict == NOT_SHOWN
    assert f"not shown for + early stopping on val disparity {versus_control.estimate:.2f}" in text
    assert np.isfinite(claims[["estimate", "lower", "upper"]].to_numpy(dtype=float)).all()


def test_the_control_is_the_constrained_spec_trained_on_train_and_validation_at_the_primary_seeds():
    specs = remedy_specs(CONSTRAINED, smaller_width=0.125)
    control = specs[CONTROL]
    assert control.pop("train_on") == "train+val" and control == specs["constrained"]
    assert seeds_for("07_remedies", specs[CONTROL], [0, 1, 2], list(range(10))) == list(range(10))
    assert is_primary_setting("07_remedies", specs[CONTROL]) and not is_primary_setting("07_remedies", specs["+ flooding"])
    # Every spec that learns from the validation split is compared with the control.
    uses_validation = {label for label, spec in specs.items() if spec.get("early_stopping") or "last_layer" in spec
                       or spec.get("fairness_data") == "val"}
    assert uses_validation == set(USES_VALIDATION) - {POSTPROCESSED}


def test_held_out_remedies_and_post_processing_are_compared_with_the_control_paired_by_seed():
    claims = remedy_claims(remedies_table(KNOWN), DISPARITY).set_index("claim")
    versus_control = [claim for claim in claims.index if claim.endswith(f"than {CONTROL}")]
    assert sorted(versus_control) == sorted(f"{label}: lower test {what} than {CONTROL}" for what in
                                            ("disparity", "accuracy")
                                            for label in ("+ early stopping on val disparity", POSTPROCESSED))
    early = claims.loc[f"+ early stopping on val disparity: lower test disparity than {CONTROL}"]
    assert early.n == 5 and early.lower < 0 < early.upper   # it beats the constrained run, not the control
    assert claims.loc["+ early stopping on val disparity: lower test disparity than constrained"].verdict == SHOWN
    post = claims.loc[f"{POSTPROCESSED}: lower test disparity than {CONTROL}"]
    assert post.verdict == SHOWN and post.estimate == pytest.approx(np.mean(
        [p[1] - c[1] for p, c in zip(KNOWN[POSTPROCESSED], KNOWN[CONTROL])]))
    # Remedies that do not use the validation split are compared with the constrained run only.
    assert not any(claim.startswith("+ helps") and claim.endswith(CONTROL) for claim in claims.index)
    with pytest.raises(ValueError, match="no 'control"):
        remedy_claims(remedies_table({k: v for k, v in KNOWN.items() if k != CONTROL}), DISPARITY)


# Population values that reverse the test split's story: '+ helps' is no fairer on the population.
POPULATION_VALUES = {label: [(test, accuracy - 0.01) for _, test, accuracy in runs] for label, runs in KNOWN.items()}
POPULATION_VALUES["+ helps"] = [(0.35 + 0.02 * s + d, 0.88) for s, d in zip(SEEDS, (0.01, -0.01, 0.02, -0.02, 0.0))]


def test_claims_read_the_population_when_there_is_one_and_the_test_split_otherwise():
    claims = remedy_claims(remedies_table(KNOWN, POPULATION_VALUES), DISPARITY)
    v = verdicts(claims)
    assert not any(" test " in claim for claim in claims.claim)
    assert v["+ helps: lower population disparity than constrained"] == NOT_SHOWN   # shown on the test split
    assert v["constrained: population disparity above train disparity"] == SHOWN
    assert claims.set_index("claim").loc["constrained: population disparity above train disparity"].statistic == (
        "equalized odds difference: population − train (same run)")
    assert verdicts(remedy_claims(remedies_table(KNOWN), DISPARITY))["+ helps: lower test disparity than constrained"] \
        == SHOWN


@pytest.mark.parametrize("population", [None, POPULATION_VALUES])
def test_the_primary_prefixes_mark_the_three_declared_claims_on_either_split(population):
    held = "test" if population is None else "population"
    marked = mark_primary(remedy_claims(remedies_table({**KNOWN, **{label: KNOWN["+ helps"] for label in
                                                                    USES_VALIDATION}},
                                                       population and {**POPULATION_VALUES, **{
                                                           label: POPULATION_VALUES["+ helps"]
                                                           for label in USES_VALIDATION}}), DISPARITY), "07_remedies")
    primary = set(marked.claim[marked.kind == PRIMARY])
    # against the control that saw the same train + validation data, not the constrained run that saw less
    assert primary == {f"{label}: lower {held} disparity than {CONTROL}" for label in USES_VALIDATION[:2]}


def test_the_summary_ranks_by_the_population_and_keeps_the_test_values_beside_it():
    table = remedies_table(KNOWN, POPULATION_VALUES)
    summary = held_out_summary(table, DISPARITY)
    assert summary.loc["+ helps", f"population {DISPARITY}"] == pytest.approx(np.mean(
        [d for d, _ in POPULATION_VALUES["+ helps"]]))
    assert summary.loc["+ helps", f"test {DISPARITY}"] == pytest.approx(np.mean([t for _, t, _ in KNOWN["+ helps"]]))
    assert list(summary[f"population {DISPARITY}"]) == sorted(summary[f"population {DISPARITY}"])
    assert summary.loc["+ helps", "gap"] == pytest.approx(summary.loc["+ helps", f"population {DISPARITY}"])
    # Without a population the summary is the test split's.
    plain = held_out_summary(remedies_table(KNOWN), DISPARITY)
    assert not any(column.startswith("population") for column in plain.columns)
    assert "population" in findings(remedy_claims(table, DISPARITY), summary, DISPARITY)


def test_finite_test_prose_reports_the_test_minus_population_difference():
    table = remedies_table(KNOWN, POPULATION_VALUES)
    text = finite_test(table, DISPARITY)
    runs = sum(len(runs) for runs in KNOWN.values())
    assert f"Over {runs} runs" in text
    differences = [t - p for label in KNOWN for (_, t, _), (p, _) in zip(KNOWN[label], POPULATION_VALUES[label])]
    assert f"at most {np.max(np.abs(differences)):.3f}" in text
    assert "no population split" in finite_test(remedies_table(KNOWN), DISPARITY)
