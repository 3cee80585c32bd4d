"""The population of fresh people for face verification (``VerificationConfig.population``, notebook 05)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from fairgap.data import load_dataset, load_population
from fairgap.data.synthetic_identities import POPULATION_FIRST_ID
from fairgap.paths import data_dir
from fairgap.verification.train import VerificationConfig, train_verification

SMALL = dict(n_train_identities=8, n_test_identities=6, images_train=4, images_val=2, images_test=3, image_size=16)
TINY = dict(data=SMALL, width=0.25, embedding_dim=8, loss="cosface", epochs=1, batch_size=16, eval_max_images=100)
# The key of VerificationConfig() before ``population`` existed: runs without a population keep their cache entries.
DEFAULT_KEY_BEFORE_POPULATION = "490a300dfef7b836fc6b"


def pairs_of_people(identity: np.ndarray) -> int:
    """Every genuine pair: sum over people of C(photos, 2)."""
    counts = np.unique(identity, return_counts=True)[1]
    return int((counts * (counts - 1) // 2).sum())


def test_population_people_share_no_identity_number_with_any_seeds_people():
    population = load_population("synthetic_identities", 30, **SMALL)
    assert population.identity.min() >= POPULATION_FIRST_ID
    for seed in (0, 1, 7):
        dataset = load_dataset("synthetic_identities", **SMALL, seed=seed)
        seen = set().union(*(set(dataset[s].identity.tolist()) for s in ("train", "val", "test")))
        assert not seen & set(population.identity.tolist())


def test_population_depends_on_the_distribution_only_and_is_cached():
    population = load_population("synthetic_identities", 30, **SMALL, seed=0)
    cached = set((data_dir() / "cache").glob("synthetic_identities_population-*"))   # other tests may add theirs
    other_seed = load_population("synthetic_identities", 30, **{**SMALL, "n_train_identities": 20}, seed=5)
    assert torch.equal(population.images, other_seed.images)
    assert torch.equal(population.identity, other_seed.identity)
    assert cached and set((data_dir() / "cache").glob("synthetic_identities_population-*")) == cached
    # images_test photos of each of the 30 people, the generator's own group mix.
    assert len(population) == 30 * SMALL["images_test"] and len(np.unique(population.identity)) == 30
    assert set(population.group.tolist()) == {0, 1}
    harder = load_population("synthetic_identities", 30, **{**SMALL, "trait_spread": (1.0, 0.3)})
    assert not torch.equal(population.images, harder.images)


def test_population_split_only_in_runs_with_a_population_and_every_genuine_pair_kept():
    # max_genuine caps the test split's genuine pairs but not the population's.
    plain = train_verification(VerificationConfig(**TINY, max_genuine=2))
    assert "population" not in set(plain.history.split)
    result = train_verification(VerificationConfig(**TINY, max_genuine=2, population=12, population_impostors=3000))
    h = result.history
    population = h[h.split == "population"]
    assert set(population.epoch) == {TINY["epochs"]}
    people = load_population("synthetic_identities", 12, **SMALL)
    for group, label in enumerate(result.info["group_labels"]):
        n_genuine = population[(population.group == label) & (population.metric == "n_genuine")].value.item()
        assert n_genuine == pairs_of_people(people.identity.numpy()[people.group.numpy() == group])
        # Far more impostor pairs than the 12 people have distinct ones: drawn with replacement, exactly as many.
        assert population[(population.group == label) & (population.metric == "n_impostor")].value.item() == 3000
        test = h[(h.split == "test") & (h.group == label) & (h.metric == "n_genuine") & (h.epoch == TINY["epochs"])]
        assert test.value.item() <= 2
    assert result.info["pairs"]["population"]["genuine"] == pairs_of_people(people.identity.numpy())
    assert {"tar_group@0.001", "eer", "tar_group@0.001_gap", "tar_group@0.001_halfwidth"} <= set(population.metric)
    assert "population" in set(result.roc.split)
    # The training and test numbers do not depend on whether a population is scored afterwards.
    pd.testing.assert_frame_equal(h[h.split != "population"].reset_index(drop=True), plain.history)


@pytest.mark.parametrize("population, message", [
    (-5, "number of people of at least 2"), (1, "number of people of at least 2"),
    (2.5, "number of people of at least 2"), (True, "number of people of at least 2")])
def test_bad_population_values_are_refused(population, message):
    with pytest.raises(ValueError, match=message):
        VerificationConfig(population=population).validate()


def test_population_needs_generated_identities():
    with pytest.raises(ValueError, match="needs generated identities.*Use population=0"):
        VerificationConfig(dataset="celeba_identities", population=100).validate()
    with pytest.raises(ValueError, match="at least 2"):
        load_population("synthetic_identities", 0, **SMALL)


def test_default_key_unchanged_and_population_keys_differ():
    assert VerificationConfig().key() == DEFAULT_KEY_BEFORE_POPULATION
    assert VerificationConfig(population=0).key() == DEFAULT_KEY_BEFORE_POPULATION
    assert VerificationConfig(population=0, population_impostors=7).key() == DEFAULT_KEY_BEFORE_POPULATION
    assert VerificationConfig(population=50).key() not in (DEFAULT_KEY_BEFORE_POPULATION,
                                                            VerificationConfig(population=60).key())
    assert (VerificationConfig(population=50).key()
            != VerificationConfig(population=50, population_impostors=1000).key())


@pytest.mark.parametrize("impostors", [0, -3, 2.5, True])
def test_bad_population_impostor_counts_are_refused(impostors):
    with pytest.raises(ValueError, match="population_impostors must be a positive number"):
        VerificationConfig(population=50, population_impostors=impostors).validate()
    VerificationConfig(population=0, population_impostors=impostors).validate()   # unused without a population


def test_impostor_pairs_drawn_with_replacement_are_impostors_of_one_group():
    from fairgap.verification.metrics import sample_pairs

    rng = np.random.default_rng(3)
    identity = np.repeat(np.arange(12), 3)
    group = (identity % 2).astype(int)
    order = rng.permutation(len(identity))
    identity, group = identity[order], group[order]
    pairs = sample_pairs(identity, group, max_impostor=5000, seed=4, impostors_with_replacement=True)
    impostor = pairs[~pairs.genuine]
    i, j = impostor.i.to_numpy(), impostor.j.to_numpy()
    assert impostor.groupby("group").size().tolist() == [5000, 5000]     # more than the 135 distinct pairs per group
    assert (identity[i] != identity[j]).all() and (i < j).all()
    assert (group[i] == impostor.group).all() and (group[j] == impostor.group).all()
    # Uniform over the group's distinct impostor pairs: 135 of them, each drawn about 5000/135 = 37 times.
    counts = impostor.groupby(["group", "i", "j"]).size()
    assert len(counts) == 2 * 135 and counts.min() > 15 and counts.max() < 65
    again = sample_pairs(identity, group, max_impostor=5000, seed=4, impostors_with_replacement=True)
    pd.testing.assert_frame_equal(pairs, again)
    genuine = pairs[pairs.genuine]
    plain = sample_pairs(identity, group, max_impostor=5000, seed=4)
    pd.testing.assert_frame_equal(genuine.reset_index(drop=True), plain[plain.genuine].reset_index(drop=True))


def test_resampled_thresholds_match_resampling_every_impostor():
    """The shortcut (only the draws landing among the top scores) has the distribution of the full bootstrap."""
    from fairgap.verification.metrics import resampled_thresholds

    impostor = np.random.default_rng(0).normal(size=20000)
    far, allowed = 0.005, 100
    full_rng = np.random.default_rng(1)
    full = [-np.partition(-impostor[full_rng.integers(0, 20000, 20000)], allowed)[allowed] for _ in range(1500)]
    fast = list(resampled_thresholds(impostor, far, 1500, np.random.default_rng(2)))
    assert len(fast) == 1500
    assert abs(np.mean(fast) - np.mean(full)) < 0.1 * np.std(full)
    assert 0.85 < np.std(fast) / np.std(full) < 1.15
    exact = -np.sort(-impostor)[allowed]
    assert abs(np.median(fast) - exact) < 0.5 * np.std(full)


def test_resampled_thresholds_fall_back_to_every_impostor_when_too_few_land_on_top():
    from fairgap.verification.metrics import resampled_thresholds

    class NoneOnTop:   # a generator whose binomial says no draw landed among the top scores
        def __init__(self):
            self.rng = np.random.default_rng(5)

        def binomial(self, n, p):
            return 0

        def integers(self, *args):
            return self.rng.integers(*args)

    impostor = np.random.default_rng(0).normal(size=5000)
    thresholds = list(resampled_thresholds(impostor, 0.01, 20, NoneOnTop()))
    exact = -np.sort(-impostor)[50]
    assert len(thresholds) == 20 and np.std(thresholds) > 0 and abs(np.mean(thresholds) - exact) < 0.2


def test_pair_scores_in_chunks_and_shared_curves_change_nothing():
    from fairgap.verification.metrics import pair_scores, roc_curves, roc_table, sample_pairs, verification_metrics

    rng = np.random.default_rng(1)
    identity = np.repeat(np.arange(20), 4)
    group = (identity % 2).astype(int)
    embeddings = rng.normal(size=(80, 8)) + identity[:, None] * 0.3
    pairs = sample_pairs(identity, group, seed=0)
    whole = pair_scores(embeddings, pairs, chunk=len(pairs))
    np.testing.assert_array_equal(pair_scores(embeddings, pairs, chunk=7), whole)
    np.testing.assert_allclose(pair_scores(embeddings, pairs, dtype=np.float32), whole, atol=1e-6)
    labels = ["a", "b"]
    curves = roc_curves(whole, pairs)
    assert set(curves) == {0, 1, "all"}
    assert verification_metrics(whole, pairs, labels, curves=curves) == verification_metrics(whole, pairs, labels)
    pd.testing.assert_frame_equal(roc_table(whole, pairs, labels, curves=curves), roc_table(whole, pairs, labels))


def test_tar_halfwidth_counts_people_not_pairs():
    """Pairs of one person move together: copying every person's pairs tenfold adds no information, so the
    half-width must not shrink like a binomial on ten times the pairs."""
    from fairgap.verification.metrics import tar_halfwidth

    rng = np.random.default_rng(0)
    people, impostors = 200, 20000
    person_score = rng.normal(1.0, 1.0, people)          # each person accepted or not as a whole
    def table(copies):
        genuine = np.repeat(person_score, copies)
        identity = np.repeat(np.arange(people), copies)
        pairs = pd.DataFrame({"i": np.r_[np.arange(len(genuine)), np.zeros(impostors, int)],
                              "j": 0, "genuine": np.r_[np.ones(len(genuine), bool), np.zeros(impostors, bool)],
                              "group": 0})
        identity = np.r_[identity, np.full(impostors, -1)]
        scores = np.r_[genuine, rng.normal(-1.0, 1.0, impostors)]
        return tar_halfwidth(scores, pairs, identity, 0.01, seed=1)[0]
    once, tenfold = table(1), table(10)
    assert tenfold > 0.7 * once      # a binomial on the pairs would shrink it by sqrt(10): to 0.32


def test_notebook_05_smoke_path_scores_and_reports_the_population():
    import matplotlib.pyplot as plt

    from fairgap.plots import f5_verification as plots
    from fairgap.studies import f5_verification as fv

    base = fv.base_config("smoke", epochs=1)
    assert base.population > 0   # CI runs the population's code
    configs = fv.experiment_grid(base, {"loss_gap": [1.0]}, seeds=[0])
    results = fv.run_grid(configs, progress=False, executor="sequential")
    history, final = fv.combined_history(results), fv.final_table(results)
    assert "population" in set(final.split)
    assert any(c.endswith("(population)") for c in fv.overview(results).columns)
    assert "population" in set(fv.summary(final).columns.get_level_values("split"))
    claims = fv.verification_claims(final)
    gap = final[(final.split == "population") & (final.group == "gap") & (final.method_id == "none")]
    train_gap = final[(final.split == "train") & (final.group == "gap") & (final.method_id == "none")]
    # The first claim (unseen − training-photo gap of the margin loss) reads the population, not the test split.
    assert np.isclose(claims.iloc[0].estimate, gap["tar_group@0.001"].item() - train_gap["tar_group@0.001"].item())
    assert "population of fresh people" in fv.findings(final, claims)
    prose = fv.population_prose(history)
    assert "bootstrap over people" in prose and "Finite test set against the population" in prose
    for fig, drawn in (plots.verification_gap_vs_weight(history), plots.verification_per_group(final),
                       plots.verification_roc(fv.combined_roc(results), [("none", 0.0)])):
        assert "population" in set(drawn.split)
        plt.close(fig)
    without = {key: result for key, result in fv.run_grid({k: c.replace(population=0) for k, c in configs.items()},
                                                           progress=False, executor="sequential").items()}
    assert "population" not in set(fv.final_table(without).split) and fv.population_prose(
        fv.combined_history(without)) == ""
