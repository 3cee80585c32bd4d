"""fairgap.classical_fits and notebook 00's study: the metrics agree with fairlearn; reductions and the gap penalty do what they claim."""

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

from fairgap import classical_fits as classical, tabular
from fairgap.studies import f0_classical
from fairgap.metrics import evaluate


def biased_table(n=600, seed=0) -> tabular.Table:
    """A proxy feature carries the group, and the label depends on the group: ERM is unfair."""
    rng = np.random.default_rng(seed)
    group = rng.random(n) < 0.4
    skill = rng.normal(0, 1, n)
    frame = pd.DataFrame({
        "skill": skill,
        "proxy": group + rng.normal(0, 0.3, n),
        "city": rng.choice(["a", "b"], n),
        "group": np.where(group, "B", "A"),
        "label": (skill + 1.2 * group + rng.normal(0, 0.5, n) > 0.6).astype(int),
    })
    return tabular.from_dataframe(frame, target="label", sensitive="group")


def as_rows(rows):
    return {(r["group"], r["metric"]): r["value"] for r in rows}


def test_disparities_agree_with_fairlearn_for_hard_and_randomized_predictions():
    rng = np.random.default_rng(1)
    y, g = rng.integers(0, 2, 500), rng.integers(0, 3, 500)
    hard = (rng.random(500) < 0.3 + 0.2 * g).astype(float)
    mine = as_rows(classical.decision_metrics(y, hard, g, ("a", "b", "c")))
    assert mine["all", "equalized_odds_difference"] == pytest.approx(equalized_odds_difference(y, hard, sensitive_features=g))
    assert mine["all", "demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(y, hard, sensitive_features=g))
    reference = {(r["group"], r["metric"]): r["value"] for r in evaluate(y, hard, g, 0.5, ("a", "b", "c"))}
    for key in [("a", "tpr"), ("c", "fpr"), ("b", "accuracy"), ("all", "accuracy"), ("all", "equal_opportunity_difference")]:
        assert mine[key] == pytest.approx(reference[key])

    # A randomized classifier: fairlearn on every example counted twice, weighted p (said 1) and 1 - p (said 0).
    p = rng.random(500)
    mine = as_rows(classical.decision_metrics(y, p, g, ("a", "b", "c")))
    twice = dict(sensitive_features=np.r_[g, g], sample_weight=np.r_[p, 1 - p])
    predicted = np.r_[np.ones(500), np.zeros(500)]
    assert mine["all", "equalized_odds_difference"] == pytest.approx(equalized_odds_difference(np.r_[y, y], predicted, **twice))
    assert mine["all", "demographic_parity_difference"] == pytest.approx(
        demographic_parity_difference(np.r_[y, y], predicted, **twice))
    assert mine["all", "collapsed"] == 0.0
    assert as_rows(classical.decision_metrics(y, np.ones(500), g, ("a", "b", "c")))["all", "collapsed"] == 1.0


def disparity(label, spec, split):
    frame = classical.evaluate_spec(label, classical.ModelSpec(**spec), split, "test")
    pick = lambda part, metric: float(frame[(frame.split == part) & (frame.metric == metric) & (frame.group == "all")].value.iloc[0])  # noqa: E731
    return pick


def test_exponentiated_gradient_reduces_the_training_disparity_of_logistic_regression():
    split = biased_table().split(0, train_size=400)
    erm = disparity("LR", {"model": "logistic_regression"}, split)
    eo = disparity("EG EO", {"model": "logistic_regression", "reduction": "equalized_odds"}, split)
    dp = disparity("EG DP", {"model": "logistic_regression", "reduction": "demographic_parity"}, split)
    assert erm("train", "equalized_odds_difference") > 0.15
    assert eo("train", "equalized_odds_difference") < 0.05          # eps = 0.01 plus the solver's slack
    assert erm("train", "demographic_parity_difference") > 0.3 and dp("train", "demographic_parity_difference") < 0.05
    assert eo("train", "accuracy") > 0.6
    tree = disparity("tree EO", {"model": "decision_tree", "reduction": "equalized_odds"}, split)
    assert tree("train", "equalized_odds_difference") < 0.05


def test_the_gap_penalty_lowers_training_disparity_of_a_linear_model_and_an_mlp():
    split = biased_table().split(0, train_size=400)
    for model in ("linear", "mlp"):
        small = {"model": model, "width": 32, "steps": 150}
        erm = disparity("ERM", small, split)
        fair = disparity("penalty", {**small, "penalty": "equalized_odds_max_penalty", "weight": 1.0}, split)
        assert erm("train", "equalized_odds_difference") > 0.15, model
        assert fair("train", "equalized_odds_difference") < erm("train", "equalized_odds_difference") / 2, model
        assert fair("train", "collapsed") == 0.0


def test_the_penalty_is_the_networks_objective(monkeypatch):
    """fit_torch trains with fairgap.fairness' gap penalty (not a copy): patching it changes the fit."""
    from fairgap.fairness import gap_penalty

    split = biased_table(200).split(0, train_size=100)
    spec = classical.ModelSpec("linear", penalty="equalized_odds_max_penalty", steps=5)
    calls = []
    original = gap_penalty.soft_rate_gaps
    monkeypatch.setattr(gap_penalty, "soft_rate_gaps", lambda *a: calls.append(1) or original(*a))
    classical.fit_torch(spec, split, seed=0)
    assert len(calls) == 5


def test_model_specs_are_validated_with_the_valid_choices():
    with pytest.raises(ValueError, match="model='svm' is not one of logistic_regression"):
        classical.ModelSpec.parse("x", {"model": "svm"})
    with pytest.raises(ValueError, match="reductions .* wrap logistic_regression, decision_tree, random_forest"):
        classical.ModelSpec.parse("x", {"model": "mlp", "reduction": "equalized_odds"})
    with pytest.raises(ValueError, match="gap penalties .* train linear or mlp"):
        classical.ModelSpec.parse("x", {"model": "logistic_regression", "penalty": "equalized_odds_max_penalty"})
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['layers'\].*Valid keys"):
        classical.ModelSpec.parse("x", {"model": "mlp", "layers": 3})


def test_experiment_on_a_table_is_tidy_cached_and_shrinks_networks_in_smoke(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path))
    models = {"LR": {"model": "logistic_regression"},
              "MLP + EO": {"model": "mlp", "penalty": "equalized_odds_max_penalty", "sources": ["table"]},
              "elsewhere": {"model": "linear", "sources": ["faces"]}}
    assert classical.parse_models(models, "smoke")["MLP + EO"].width < 512
    table = biased_table()
    first = f0_classical.classical_vs_deep("smoke", models, table=table, images=False, seeds=[0, 1], executor="sequential")
    assert list(first.columns) == list(classical.RESULT_COLUMNS)
    assert set(first.model) == {"LR", "MLP + EO"} and set(first.seed) == {0, 1} and set(first.split) == {"train", "test"}
    assert set(first.family) == {"classical", "network"}
    assert len(list((tmp_path / "classical").glob("*/fit.csv"))) == 4   # one entry per model and split
    again = f0_classical.classical_vs_deep("smoke", models, table=table, images=False, seeds=[0, 1], executor="sequential")
    pd.testing.assert_frame_equal(first, again)

    per_run = classical.targeted_disparity(first)
    summary = classical.gap_table(per_run)
    assert set(summary.columns) >= {"train", "test", "gap", "gap_low", "gap_high", "train_accuracy", "n"}
    assert (summary.n == 2).all() and (summary.gap_low <= summary.gap).all() and (summary.gap <= summary.gap_high).all()
    np.testing.assert_allclose(per_run.gap, per_run.test - per_run.train)


def test_contrast_claims_pair_each_constrained_network_with_each_classical_reference():
    rows = []
    for seed in range(6):
        for model, family, constraint, gap in (("lin", "classical", "equalized odds", 0.01 + 0.002 * (seed % 2)),
                                               ("net", "network", "equalized odds", 0.10 + 0.01 * seed),
                                               ("erm-net", "network", "none", 0.2)):
            rows.append({"source": "s", "model": model, "family": family, "constraint": constraint, "seed": seed,
                         "disparity": "equalized_odds_difference", "train": 0.0, "test": gap, "gap": gap})
    table = pd.DataFrame(rows)
    claims = {c.claim: c for c in f0_classical.contrast_claims(table, ["lin", "absent"])}
    assert set(claims) == {"s: lin is less fair on test than on train", "s: net is less fair on test than on train",
                           "s: erm-net is less fair on test than on train", "s: net's gap exceeds lin's (same splits)"}
    paired = claims["s: net's gap exceeds lin's (same splits)"]
    assert paired.verdict == "shown" and paired.n == 6 and paired.estimate == pytest.approx(0.125 - 0.011)
    assert set(paired.values) == set(range(6))   # the per-split values behind it, by split
    assert claims["s: lin is less fair on test than on train"].verdict == "shown"


# --- the cached-run protocol of a fit (ClassicalFit, sweep.train_pending) ---

SMALL = {"LR": {"model": "logistic_regression"}, "tree": {"model": "decision_tree", "max_depth": 3}}


def small_task(table=None):
    return classical.table_task(table or biased_table(), 300, None)


def counting(monkeypatch):
    """Count the fits and the splits built (sequential executor: in this process)."""
    calls = {"fit": 0, "split": 0}
    fit, split = classical.fit, tabular.Table.split
    monkeypatch.setattr(classical, "fit", lambda *a: calls.__setitem__("fit", calls["fit"] + 1) or fit(*a))
    monkeypatch.setattr(tabular.Table, "split",
                        lambda *a, **k: calls.__setitem__("split", calls["split"] + 1) or split(*a, **k))
    return calls


def run_small(models=SMALL, executor="sequential", seeds=(0, 1), **kwargs):
    frames = classical.run_tasks([small_task()], classical.parse_models(models, "smoke"), list(seeds), executor,
                                 **kwargs)
    return pd.concat(frames, ignore_index=True)


def test_a_cached_fit_is_loaded_and_a_new_model_fits_alone(monkeypatch):
    calls = counting(monkeypatch)
    first = run_small()
    assert calls == {"fit": 4, "split": 2}   # each split built once for its two models
    assert first.model.unique().tolist() == ["LR", "tree"] and first.seed.unique().tolist() == [0, 1]
    again = run_small()
    assert calls == {"fit": 4, "split": 2}   # loaded: nothing fitted, no split built
    pd.testing.assert_frame_equal(first, again)
    more = run_small({**SMALL, "forest": {"model": "random_forest", "n_estimators": 5}})
    assert calls == {"fit": 6, "split": 4}   # only the new model, once per split
    pd.testing.assert_frame_equal(more[more.model != "forest"].reset_index(drop=True), first)
    # The label is the caller's, not the entry's: the same spec under another name is not refitted.
    renamed = run_small({"logistic": SMALL["LR"]})
    assert calls["fit"] == 6 and set(renamed.model) == {"logistic"}


def test_a_corrupt_or_partial_entry_is_refitted(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path))
    first = run_small()
    entries = sorted((tmp_path / "classical").iterdir())
    assert len(entries) == 4 and all(sorted(p.name for p in e.iterdir()) == ["config.json", "fit.csv", "info.json", "timing.json"]
                                     for e in entries)
    (entries[0] / "fit.csv").write_text("split,value\ntrain,0.5\n")   # missing columns
    (entries[1] / "info.json").unlink()                                # an interrupted write: no marker
    (entries[2] / "info.json").write_text('{"key": "another"')         # truncated JSON
    calls = counting(monkeypatch)
    again = run_small()
    assert calls["fit"] == 3
    pd.testing.assert_frame_equal(first, again)


def test_a_fit_config_is_keyed_by_what_determines_it_and_validated():
    source, splitter, describe = small_task()
    spec = classical.ModelSpec("logistic_regression")
    fit = classical.ClassicalFit(spec, describe, 0, splitter)
    assert fit.threads == 1 and fit.source == source
    assert fit.key() == classical.ClassicalFit(spec, dict(describe), 0, small_task()[1]).key()
    assert len({fit.key(), classical.ClassicalFit(spec, describe, 1, splitter).key(),
                classical.ClassicalFit(classical.ModelSpec("logistic_regression", C=0.5), describe, 0, splitter).key(),
                classical.ClassicalFit(spec, {**describe, "n_train": 200}, 0, splitter).key()}) == 4
    with pytest.raises(ValueError, match="seed must be an integer"):
        classical.ClassicalFit(spec, describe, -1, splitter)
    with pytest.raises(ValueError, match=r"runs on sources \['faces'\], not on 'table'"):
        classical.ClassicalFit(classical.ModelSpec("linear", sources=("faces",)), describe, 0, splitter)
    with pytest.raises(ValueError, match="describe must be a dict naming its 'source'"):
        classical.ClassicalFit(spec, {"rows": 3}, 0, splitter)


def test_an_unknown_executor_is_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match="Unknown executor 'joblib'. Valid executors: auto, sequential, processes, dask"):
        run_small(executor="joblib")


def test_processes_give_the_same_table_as_sequential(tmp_path, monkeypatch):
    """Worker processes give the same numbers, to the last digit: one thread per fit, whoever runs it."""
    models = {**SMALL, "MLP + EO": {"model": "mlp", "penalty": "equalized_odds_max_penalty"}}
    parallel = run_small(models, executor="processes", workers=2)
    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path / "sequential"))
    pd.testing.assert_frame_equal(parallel, run_small(models))

