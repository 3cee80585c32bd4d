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
    assert not torch.equal(a.target, other.target)  # another distribution, another population
    test = prepare_dataset(TINY)["test"]
    assert not torch.equal(a.images[:len(test)], test.images[:len(a)])  # disjoint from a seed's stream


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


def test_population_precision_uses_the_groups_positives():
    rows = pd.DataFrame([{"split": "population", "group": g, "metric": m, "value": v}
                         for g, n, base in (("lighter", 14000, 0.5), ("darker", 6000, 0.35))
                         for m, v in (("n", n), ("base_rate", base), ("tpr", 0.75), ("fpr", 0.1), ("accuracy", 0.8))])
    table = population_precision(rows).set_index("group")
    assert table.loc["darker", "positives"] == 2100
    expected = 1.959964 * np.sqrt(0.75 * 0.25 / 2100)
    assert table.loc["darker", "tpr ±"] == pytest.approx(expected, rel=1e-4)
    assert table.loc["lighter", "tpr ±"] < table.loc["darker", "tpr ±"]


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
