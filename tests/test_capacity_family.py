"""fairgap.studies.f8_capacity_family (notebook 08): the grid, the claims on constructed tables with known answers, the
#460 and size summaries, k-NN under ThresholdOptimizer, and a table given as a file path."""

import numpy as np
import pandas as pd
import pytest

from fairgap import classical_fits as classical, tabular
from fairgap.studies import f8_capacity_family as cf
from fairgap.claims import mark_primary
from fairgap.claims import primary


def biased_frame(n=600, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.random(n) < 0.4
    skill = rng.normal(0, 1, n)
    return pd.DataFrame({"skill": skill, "proxy": group + rng.normal(0, 0.3, n), "city": rng.choice(["a", "b"], n),
                         "group": np.where(group, "B", "A"),
                         "hired": np.where(skill + 1.2 * group + rng.normal(0, 0.5, n) > 0.6, "yes", "no")})


def test_grid_constrains_each_family_its_own_way_and_orders_capacity():
    models, meta = cf.grid(cf.PATHS)
    assert len(models) == sum(len(p) for p in cf.PATHS.values()) * 3 == len(meta)
    knn = models["k-nearest neighbours (k=1) + ThresholdOptimizer (EO)"]
    assert knn == {"model": "knn", "n_neighbors": 1, "postprocess": "equalized_odds"}
    assert models["MLP (width 256, 600 steps) + DP penalty"]["penalty"] == "demographic_parity_penalty"
    tree = models["decision tree (unrestricted) + EG (DP)"]
    assert tree["reduction"] == "demographic_parity" and tree["max_depth"] is None
    for label, spec in models.items():
        classical.ModelSpec.parse(label, spec)   # every spec is valid
    ranks = meta[meta.family_name == "k-nearest neighbours"].drop_duplicates("capacity").capacity.tolist()
    assert ranks == ["k=100", "k=15", "k=1"]      # lowest capacity first
    assert meta.network.sum() == len(cf.PATHS["MLP"]) * 3
    with pytest.raises(ValueError, match="Unknown famil.*'svm'.*valid: logistic regression"):
        cf.grid(cf.PATHS, families=["svm"])


def test_knn_takes_no_reduction_and_new_fields_leave_old_cache_keys_alone():
    with pytest.raises(ValueError, match="k-nearest neighbours takes no sample weights: constrain it with postprocess"):
        classical.ModelSpec.parse("x", {"model": "knn", "reduction": "equalized_odds"})
    with pytest.raises(ValueError, match="max_depth=0 must be an integer of at least 1 .or None"):
        classical.ModelSpec.parse("x", {"model": "decision_tree", "max_depth": 0})
    old = classical.ModelSpec("decision_tree", reduction="equalized_odds")
    assert set(old.cache_fields()) == {f for f in old.__dataclass_fields__} - set(classical.LATER_FIELDS)
    assert classical.ModelSpec("logistic_regression", C=0.1).cache_fields()["C"] == 0.1


def test_threshold_optimizer_on_the_training_set_equalises_training_rates_of_knn():
    split = tabular.from_dataframe(biased_frame(), target="hired", sensitive="group", positive="yes").split(0, 400)
    get = lambda frame, part, metric: float(frame[(frame.split == part) & (frame.metric == metric)  # noqa: E731
                                                  & (frame.group == "all")].value.iloc[0])
    plain = classical.evaluate_spec("knn", classical.ModelSpec("knn", n_neighbors=15), split, "t")
    fair = classical.evaluate_spec("knn DP", classical.ModelSpec("knn", n_neighbors=15, postprocess="demographic_parity"),
                                   split, "t")
    assert get(plain, "train", "demographic_parity_difference") > 0.2
    assert get(fair, "train", "demographic_parity_difference") < 0.05
    memorised = classical.evaluate_spec("1nn", classical.ModelSpec("knn", n_neighbors=1), split, "t")
    assert get(memorised, "train", "accuracy") == 1.0 and int(memorised.parameters.iloc[0]) == 400 * split.n_features
    forest = classical.evaluate_spec("rf", classical.ModelSpec("random_forest", n_estimators=5, max_depth=None,
                                                              reduction="demographic_parity", max_iter=10), split, "t")
    assert get(forest, "train", "demographic_parity_difference") < 0.05


def per_run_table(effect=0.1, network_shift=0.0, seeds=10, noise=0.01):
    """Two families (a tree and an MLP), three capacities each, two constraints; the gap is 0.5 x training
    accuracy (+ network_shift for the MLP) + noise, training accuracy rising with capacity."""
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(seeds):
        for family, network in (("decision tree", False), ("MLP", True)):
            for rank in range(3):
                for constraint in ("EO", "DP"):
                    accuracy = 0.8 + 0.1 * rank + (0.02 if network else 0.0)
                    gap = 0.5 * accuracy + network_shift * network + effect * (rank == 2) + rng.normal(0, noise)
                    rows.append({"source": "s", "model": f"{family} {rank} {constraint}", "family_name": family,
                                 "network": network, "capacity_rank": rank, "capacity": f"c{rank}",
                                 "constraint_short": constraint, "seed": seed, "train_accuracy": accuracy, "gap": gap})
    return pd.DataFrame(rows)


def test_within_family_claim_pairs_the_highest_and_lowest_capacity_by_split():
    table = per_run_table(effect=0.1)
    claims = {c.claim: c for c in cf.within_family_claims(table)}
    tree = claims["s: decision tree, DP constraint: gap at the highest capacity − at the lowest"]
    assert tree.verdict == "shown" and tree.n == 10 and tree.estimate == pytest.approx(0.1 + 0.5 * 0.2, abs=0.01)
    assert set(tree.values) == set(range(10))
    # No capacity effect at all: a gap flat along the path is not shown to grow.
    flat = per_run_table(effect=0.0).assign(train_accuracy=0.9)
    flat["gap"] = 0.05 + np.random.default_rng(1).normal(0, 0.01, len(flat))
    assert all(c.verdict == "not shown" for c in cf.within_family_claims(flat))


def test_across_family_regression_recovers_the_slope_and_the_network_shift():
    fitted = cf.fit_regression(per_run_table(effect=0.0, network_shift=0.05, noise=0.0)[lambda t: t.seed == 0])
    assert fitted["slope"] == pytest.approx(0.5) and fitted["network"] == pytest.approx(0.05)
    same = "s: being a network changes the gap by less than ±0.02 at equal training accuracy (two one-sided tests)"
    big = {c.claim: c for c in cf.across_family_claims(per_run_table(0.0, 0.05))}
    assert big["s: the gap rises with training accuracy (network and constraint held fixed)"].verdict == "shown"
    assert big[same].verdict == "not shown" and big[same].direction == "within"   # 0.05 is more than 0.02
    assert big["s: at equal training accuracy the network's gap is larger"].verdict == "shown"
    assert big["s: at equal training accuracy the network's gap is smaller"].verdict == "not shown"
    small = {c.claim: c for c in cf.across_family_claims(per_run_table(0.0, 0.0))}
    assert small[same].verdict == "shown"       # both bounds: the interval lies inside ±0.02
    below = {c.claim: c for c in cf.across_family_claims(per_run_table(0.0, -0.05))}
    assert below[same].verdict == "not shown"   # the lower bound fails: half an equivalence test would pass it
    assert below["s: at equal training accuracy the network's gap is smaller"].verdict == "shown"
    # The declared primary claims match exactly one claim each of the notebook's (on its source, adult).
    texts = [c.claim.replace("s: ", "adult: ", 1) for c in
             cf.within_family_claims(per_run_table()) + cf.across_family_claims(per_run_table())]
    marked = mark_primary(pd.DataFrame({"claim": texts, "kind": "exploratory"}), cf.NOTEBOOK)
    assert (marked.kind == "primary").sum() == len(primary.PRIMARY[cf.NOTEBOOK]) == 2


def test_size_slope_is_minus_a_half_for_a_gap_shrinking_as_one_over_root_n():
    rows = [{"model": m, "n_train": n, "seed": s, "abs_gap": c / np.sqrt(n) * (1 + 0.01 * (s % 3))}
            for m, c in (("low", 1.0), ("high", 3.0)) for n in (250, 1000, 4000) for s in range(20)]
    slopes = cf.size_slopes(pd.DataFrame(rows), groups=5)
    assert len(slopes) == 10 and np.allclose(slopes.slope, -0.5)
    flat = pd.DataFrame(rows).assign(abs_gap=0.1 + np.random.default_rng(0).normal(0, 0.005, len(rows)))
    claims = {c.claim: c for c in cf.size_claims(cf.size_slopes(flat, 5), "t")}
    assert claims["t: low: the |gap| shrinks more slowly than 1/√n"].verdict == "shown"
    assert claims["t: low: the |train − test gap| shrinks with the training-set size"].verdict == "not shown"
    assert np.isnan(cf.loglog_slope([1, 2], [0.0, 0.0]))


def test_issue460_table_and_the_depth_at_which_the_constraint_carries_over():
    rows = []
    for seed in range(4):
        for model, train, test in (("tree", 0.18, 0.17), ("tree + EG (DP)", 0.02, 0.08 + 0.01 * seed)):
            for split, value in (("train", train), ("test", test)):
                rows += [{"model": model, "seed": seed, "split": split, "group": "all", "n_train": 100,
                          "metric": "demographic_parity_difference", "value": value},
                         {"model": model, "seed": seed, "split": split, "group": "all", "n_train": 100,
                          "metric": "accuracy", "value": 0.9}]
    table = cf.issue460_table(pd.DataFrame(rows)).set_index("model")
    assert table.loc["tree + EG (DP)", "test DP difference"] == pytest.approx(0.095)
    assert table.loc["tree + EG (DP)", "issue: test DP difference"] == 0.083
    assert table.loc["tree", "issue: train DP difference"] == pytest.approx(0.179)
    path = pd.DataFrame({"source": "s", "family_name": "decision tree", "constraint_short": "DP",
                         "capacity": ["depth 1", "depth 3", "depth 6"], "capacity_rank": [0, 1, 2],
                         "train": 0.0, "test": 0.0, "gap": [0.0, 0.01, 0.05], "gap_low": [-0.01, 0.0, 0.03],
                         "gap_high": [0.01, 0.019, 0.07], "train_accuracy": [0.8, 0.85, 0.9], "test_accuracy": 0.8,
                         "n": 10})
    carried = cf.carry_over(path, "s")
    assert carried.carries_over.tolist() == [True, True, False]
    assert cf.deepest_carrying(carried) == "depth 3"
    assert cf.deepest_carrying(carried.assign(carries_over=False)) is None


def test_capacity_runs_on_a_csv_table_of_your_own(tmp_path, monkeypatch):
    path = tmp_path / "hiring.csv"
    biased_frame().to_csv(path, index=False)
    monkeypatch.chdir(tmp_path)
    table = tabular.load_table("hiring.csv", target="hired", sensitive="group", positive="yes")
    assert table.name == "hiring" and len(table) == 600 and table.group_labels == ("A", "B")
    results = cf.capacity_runs("smoke", table, images=False, families=["decision tree", "k-nearest neighbours"],
                               executor="sequential")
    per_run = cf.per_split(results)
    assert set(per_run.family_name) == {"decision tree", "k-nearest neighbours"} and set(per_run.seed) == {0, 1}
    assert set(per_run.constraint_short) == {"none", "DP"}
    np.testing.assert_allclose(per_run.gap, per_run.test - per_run.train)
    sizes = cf.size_gaps(cf.size_runs("smoke", table, seeds=[0, 1], executor="sequential"))
    assert sizes.n_train.nunique() >= 2 and (sizes.abs_gap >= 0).all()


def test_a_table_file_gives_clear_errors(tmp_path, monkeypatch):
    path = tmp_path / "hiring.csv"
    biased_frame().to_csv(path, index=False)
    with pytest.raises(FileNotFoundError, match=r"table='nowhere/missing.csv': no such file \(looked for .*missing.csv"):
        tabular.load_table("nowhere/missing.csv", target="hired", sensitive="group")
    with pytest.raises(ValueError, match=r"'grop' \(sensitive\).*Valid columns: 'skill', 'proxy', 'city', 'group'"):
        tabular.load_table(str(path), target="hired", sensitive="grop", positive="yes")
    with pytest.raises(ValueError, match="is a file: name its target and sensitive columns.*'hired'"):
        tabular.load_table(str(path))
    with pytest.raises(ValueError, match="Unknown bundled table 'adullt'.*or the path of a CSV"):
        tabular.load_table("adullt")
    with pytest.raises(ValueError, match="has its own target"):
        tabular.load_table("adult", target="income")
    # A relative path is found from where run_all.sh was started (FAIRGAP_INVOKED_FROM), not only the cwd.
    monkeypatch.setenv("FAIRGAP_INVOKED_FROM", str(tmp_path))
    monkeypatch.chdir("/")
    assert len(tabular.load_table("hiring.csv", target="hired", sensitive="group", positive="yes")) == 600


def test_the_size_sweep_keeps_each_size_own_training_accuracy():
    # One model fitted at two sizes on the same split seed: each size keeps its own accuracy and collapse flag
    # (they were averaged over the sizes when the accuracy was joined on model and seed alone).
    rows = []
    for n, accuracy in ((250, 0.99), (4000, 0.85)):
        for split, disparity in (("train", 0.01), ("test", 0.08)):
            for metric, value in (("equalized_odds_difference", disparity), ("accuracy", accuracy),
                                  ("collapsed", 0.0)):
                rows.append(dict(source="adult", model="tree", family="decision tree", constraint="none", seed=0,
                                 split=split, group="all", metric=metric, value=value, parameters=10, n_train=n))
    gaps = cf.size_gaps(pd.DataFrame(rows, columns=list(classical.RESULT_COLUMNS)))
    assert gaps.set_index("n_train").train_accuracy.to_dict() == {250: 0.99, 4000: 0.85}
    assert cf.size_summary(gaps).set_index("n_train").train_accuracy.to_dict() == {250: 0.99, 4000: 0.85}
