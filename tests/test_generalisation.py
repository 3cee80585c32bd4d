"""Data drawn per seed, the generator's population split, train + validation training, and the helpers
of fairgap.generalisation that claims and figures read them with."""

import numpy as np
import pandas as pd
import pytest
import torch

from fairgap.claims import mark_primary, primary
from fairgap.data import load_population
from fairgap.generalisation import (held_out_split, population_precision, finite_test_error,
                                    variance_sources)
from fairgap.train import RunConfig, data_options_of, data_seed_of, prepare_dataset, train

TINY = RunConfig(data={"n_train": 160, "n_val": 60, "n_test": 120, "image_size": 16}, width=0.25, epochs=2,
                 batch_size=64)


def test_a_seed_draws_its_own_data_and_data_seed_fixes_it():
    zero, one = prepare_dataset(TINY), prepare_dataset(TINY.replace(seed=1))
    for split in ("train", "val", "test"):
        assert not torch.equal(zero[split].images, one[split].images)
    fixed = prepare_dataset(TINY.replace(seed=1, data_seed=0))
    assert torch.equal(zero["train"].images, fixed["train"].images)
    assert data_seed_of(TINY.replace(seed=3)) == 3 and data_seed_of(TINY.replace(seed=3, data_seed=7)) == 7
    # a seed the dataset options give explicitly wins (the old way of fixing generated data)
    assert data_seed_of(TINY.replace(seed=3, data={**TINY.data, "seed": 5})) == 5


def test_real_datasets_keep_their_options_and_have_no_data_seed():
    assert data_options_of(RunConfig(dataset="celeba", data={"image_size": 16}, seed=4)) == {"image_size": 16}
    assert data_options_of(RunConfig(dataset="synthetic_xray", data={"n_train": 10}, seed=4)) == {"n_train": 10, "seed": 4}
    assert data_seed_of(RunConfig(dataset="celeba", seed=2)) is None


def test_population_is_the_same_for_every_data_seed_and_sized_as_asked():
    a = load_population("synthetic_faces", 300, **{**TINY.data, "seed": 0})
    b = load_population("synthetic_faces", 300, **{**TINY.data, "seed": 9, "n_train": 500})
    assert len(a) == 300 and torch.equal(a.images, b.images)
    other = load_population("synthetic_faces", 300, **{**TINY.data, "base_rate": (0.5, 0.5)})
    assert not torch.equal(a.weight, other.weight)  # another distribution, another population
    test = prepare_dataset(TINY)["test"]
    assert not torch.equal(a.images[:len(test)], test.images[:len(a)])  # disjoint from a seed's stream


def test_a_process_reads_a_population_from_disk_once(monkeypatch):
    from collections import OrderedDict

    from fairgap.data import cache
    from fairgap.data.base import FairDataset

    monkeypatch.setattr(cache, "KEPT", OrderedDict())
    reads, load = [], FairDataset.load
    monkeypatch.setattr(FairDataset, "load", classmethod(lambda cls, folder: reads.append(folder) or load(folder)))
    first = load_population("synthetic_faces", 300, **{**TINY.data, "seed": 0})
    assert len(reads) == 1
    # every data seed's runs share it: the same object again, without reading the disk
    assert load_population("synthetic_faces", 300, **{**TINY.data, "seed": 5}) is first and len(reads) == 1
    # the last KEPT_ENTRIES populations are kept: a third one pushes out the least recently used
    for rate in [(0.5, 0.5), (0.4, 0.4)]:
        load_population("synthetic_faces", 300, **{**TINY.data, "base_rate": rate})
    again = load_population("synthetic_faces", 300, **TINY.data)
    assert len(reads) == 4 and again is not first and torch.equal(again.images, first.images)
    # without the disk cache nothing is kept either: every call generates afresh
    fresh = load_population("synthetic_faces", 300, cache=False, **TINY.data)
    assert fresh is not again and torch.equal(fresh.images, first.images) and len(cache.KEPT) == cache.KEPT_ENTRIES


def test_population_rows_at_the_final_epoch_and_their_scores():
    result = train(TINY.replace(population=400))
    rows = result.history[result.history.split == "population"]
    assert set(rows.epoch) == {TINY.epochs}
    assert rows[(rows.metric == "n") & (rows.group == "all")].value.item() == 400
    assert result.scores["population"]["score"].shape == (400,)
    assert set(result.final().split) >= {"train", "test", "population"}
    stopped = train(TINY.replace(population=400, early_stopping=True, epochs=3))
    selected = stopped.history[stopped.history.split == "selection"].value.item()
    assert set(stopped.history[stopped.history.split == "population"].epoch) == {selected}


@pytest.mark.parametrize("bad, message", [
    (dict(population=10, dataset="celeba"), "generated dataset"),
    (dict(population=-1), "population must be"),
    (dict(train_on="val"), "Unknown train_on"),
    (dict(train_on="train+val", fairness_data="val"), "no held-out"),
    (dict(data_seed="0"), "data_seed must be"),
])
def test_bad_settings_are_refused_by_name(bad, message):
    with pytest.raises(ValueError, match=message):
        TINY.replace(**bad).validate()


def test_train_on_train_and_validation_joins_the_splits():
    plain, joined = prepare_dataset(TINY), prepare_dataset(TINY.replace(train_on="train+val"))
    assert len(joined["train"]) == len(plain["train"]) + len(plain["val"])
    assert "val" not in joined.splits
    assert torch.equal(joined["train"].images[:len(plain["train"])], plain["train"].images)


def _final(population: bool) -> pd.DataFrame:
    rows = []
    for run, seed in (("a", 0), ("b", 1)):
        for split, value in (("train", 0.0), ("test", 0.30 + seed / 10), ("population", 0.25)):
            if split == "population" and not population:
                continue
            rows.append({"run": run, "seed": seed, "data_seed": seed, "split": split, "group": "all",
                         "metric": "equalized_odds_difference", "value": value})
    return pd.DataFrame(rows)


def test_held_out_split_and_test_versus_population():
    assert held_out_split(_final(True)) == "population" and held_out_split(_final(False)) == "test"
    diff = finite_test_error(_final(True), "equalized_odds_difference")
    assert np.allclose(sorted(diff.difference), [0.05, 0.15])
    assert finite_test_error(_final(False), "equalized_odds_difference").empty


def test_variance_sources_follow_the_data_seed_column():
    assert "generated data" in variance_sources(_final(True))
    fixed = _final(True).assign(data_seed=0)
    assert "fixed" in variance_sources(fixed) and "data_seed" in variance_sources(fixed)
    assert "dataset's fixed splits" in variance_sources(_final(True).assign(data_seed=None))


def test_population_precision_reads_each_runs_half_widths_and_keeps_the_worst():
    rows = pd.DataFrame([{"split": "population", "group": g, "metric": m, "value": v}
                         for g, run in (("darker", 0), ("darker", 1), ("lighter", 0))
                         for m, v in (("n", 16384 + 4096 * run), ("tpr_halfwidth", 0.009 - 0.002 * run),
                                      ("fpr_halfwidth", 0.004 + run / 1000), ("accuracy_halfwidth", 0.006))])
    table = population_precision(rows).set_index("group")
    assert table.loc["darker", "n"] == 20480
    assert table.loc["darker", "tpr ±"] == pytest.approx(0.009) and table.loc["darker", "fpr ±"] == pytest.approx(0.005)
    assert table.loc["lighter", "tpr ±"] == pytest.approx(0.009) and "all" not in table.index


def test_population_holds_every_cell_equally_often_in_every_prefix_weighted_back_to_the_generator():
    options = {**TINY.data, "group_proportion": 0.3, "base_rate": (0.5, 0.35), "label_noise": (0.02, 0.05)}
    population = load_population("synthetic_faces", 4000, **options)
    cell = (2 * population.group + population.target).numpy()
    assert (np.bincount(cell[:400], minlength=4) == 100).all() and (np.bincount(cell, minlength=4) == 1000).all()
    # the generator's cell shares, from its definition: P(group) · P(recorded label | group)
    positive = np.array([b * (1 - e) + (1 - b) * e for b, e in zip(options["base_rate"], options["label_noise"])])
    share = np.array([0.7 * (1 - positive[0]), 0.7 * positive[0], 0.3 * (1 - positive[1]), 0.3 * positive[1]])
    weight = population.weight.numpy()
    assert np.allclose([weight[cell == c][0] for c in range(4)], 4 * share, rtol=0.01)
    for c in range(4):
        assert np.all(weight[cell == c] == weight[cell == c][0])  # constant within a cell: TPR, FPR, AUC unweighted
    darker = population.group.numpy() == 1
    weighted_base_rate = np.average(population.target.numpy()[darker], weights=weight[darker])
    assert weighted_base_rate == pytest.approx(positive[1], abs=0.005)  # the sample alone says 0.5
    with pytest.raises(ValueError, match="too rare"):
        load_population("synthetic_faces", 4 * 10**6, cache=False,
                        **{**options, "base_rate": (0.5, 0.0), "label_noise": (0.02, 0.0001)})


def test_population_is_scored_until_every_group_rate_is_precise_enough(monkeypatch):
    from fairgap import train as train_module

    monkeypatch.setattr(train_module, "POPULATION_FIRST_PER_CELL", 50)
    monkeypatch.setattr(train_module, "POPULATION_STEP_PER_CELL", 25)
    config = TINY.replace(population=400)
    scored_all = train(config)
    widths = scored_all.history[scored_all.history.metric.str.endswith("_halfwidth")]
    assert set(widths.split) == {"population"} and set(widths.group) == {"lighter", "darker"}
    assert len(scored_all.scores["population"]["score"]) == 400   # ±0.01 out of reach: the whole sample
    assert (widths.value > 0.01).any()
    monkeypatch.setattr("fairgap.data.population.TARGET_HALFWIDTH", 0.3)
    stopped = train(config)
    n = stopped.history[(stopped.history.split == "population") & (stopped.history.metric == "n")
                        & (stopped.history.group == "all")].value.item()
    assert n == 200 and len(stopped.scores["population"]["weight"]) == 200   # the first prefix was enough
    assert (stopped.history[stopped.history.metric.str.endswith("_halfwidth")].value <= 0.3).all()


def test_only_the_cells_of_imprecise_rates_are_scored_further_and_the_weights_follow(monkeypatch):
    from fairgap import train as train_module

    monkeypatch.setattr(train_module, "POPULATION_FIRST_PER_CELL", 40)
    monkeypatch.setattr(train_module, "POPULATION_STEP_PER_CELL", 20)
    monkeypatch.setattr("fairgap.data.population.TARGET_HALFWIDTH", 0.1)
    result = train(TINY.replace(population=800))
    part = result.scores["population"]
    population = load_population("synthetic_faces", 800, **TINY.data)
    cell = 2 * part["group"] + part["target"]
    counts = np.bincount(cell, minlength=4)
    assert counts.min() >= 40 and counts.max() <= 200
    assert np.array_equal(part["target"], population.target.numpy()[part["index"]])
    widths = result.history[result.history.metric.str.endswith("_halfwidth")]
    assert (widths.value <= 0.1).all() or counts.max() == 200
    # whatever each cell's count, the weighted base rate of a group is the generator's
    share = population.weight.numpy()[:4] / 4          # the first 4 examples are cells 0, 1, 2, 3
    history = result.history[(result.history.split == "population") & (result.history.metric == "base_rate")]
    darker = history[history.group == "darker"].value.item()
    assert darker == pytest.approx(share[3] / (share[2] + share[3]), abs=1e-9)


def test_a_wide_tpr_asks_for_positives_a_wide_fpr_for_negatives_a_wide_accuracy_for_both():
    from fairgap.train import _imprecise_cells

    def widths(**wide):
        return [{"group": g, "metric": f"{m}_halfwidth", "value": wide.get(f"{g}_{m}", 0.005)}
                for g in ("lighter", "darker") for m in ("tpr", "fpr", "accuracy")]

    labels = ("lighter", "darker")
    assert _imprecise_cells(widths(), labels, 0.01) == []
    assert _imprecise_cells(widths(darker_tpr=0.02), labels, 0.01) == [3]
    assert _imprecise_cells(widths(lighter_fpr=0.02), labels, 0.01) == [0]
    assert _imprecise_cells(widths(lighter_accuracy=0.02), labels, 0.01) == [1, 0]
    assert _imprecise_cells(widths(darker_tpr=float("nan")), labels, 0.01) == [3]


def test_primary_prefix_names_the_held_out_split_either_way(monkeypatch):
    monkeypatch.setitem(primary.PRIMARY, "99_test", ("m: {held-out} gap − ERM's",))
    table = pd.DataFrame({"claim": ["m: population gap − ERM's > 0", "m: test gap − ERM's > 0", "m: train gap"],
                          "kind": "exploratory"})
    assert mark_primary(table.iloc[[0, 2]], "99_test").kind.tolist() == ["primary", "exploratory"]
    assert mark_primary(table.iloc[[1, 2]], "99_test").kind.tolist() == ["primary", "exploratory"]
    with pytest.raises(ValueError, match="matches 2 claims"):
        mark_primary(table, "99_test")


def test_declared_primaries_are_shown_to_the_reader_without_the_placeholder():
    for notebook in primary.PRIMARY:
        text = primary.describe(notebook)
        assert primary.HELD_OUT not in text
    assert "population (test, on real data) TPR gap" in primary.describe("06_medical_diagnosis")
