"""Notebook 05's profiles and the calls it makes: one call runs (or loads) the grid, others tabulate it.

Profiles (the scale of every run in the notebook):

* ``smoke``: seconds, tiny generated identities, for CI; the numbers mean nothing.
* ``default``: minutes on a 2-core CPU; generated identities (``synthetic_identities``) few and
  clean enough for the network to fit its training identities.
* ``paper``: a GPU and CelebA identities (``identity_CelebA.txt``), ResNet-18, 64 px, ArcFace.

The grid is the plain margin loss (method ``none``) plus every fairness-promoting method at
each of its weights, for each seed; runs are labelled by (method, weight, seed).
"""

from __future__ import annotations

import pandas as pd

from ..data import profile_options
from ..paths import check_profile, with_seed_offset
from ..sweep import train_pending

NOTEBOOK = "05_face_verification"
from .probe import probe_table
from ..train import data_seed_of
from .train import (VerificationConfig, VerificationResult, load_cached, run_folder, run_verification,
                    run_verification_in_worker)

METHOD_LABELS = {
    "none": "margin loss only",
    "loss_gap": "loss-gap penalty",
    "adversarial": "adversarial (gradient reversal)",
    "group_margin": "group-specific margin",
}

PROFILES = {
    "smoke": dict(
        config=dict(dataset="synthetic_identities",
                    data=dict(n_train_identities=12, n_test_identities=12, images_train=6, images_val=3,
                              images_test=4, image_size=16),
                    model="small_cnn", width=0.5, embedding_dim=16, loss="cosface", scale=30.0, margin=0.35,
                    epochs=2, batch_size=32, lr=3e-3, eval_max_images=200, max_genuine=2000, max_impostor=5000),
        weights={"loss_gap": [1.0], "adversarial": [1.0], "group_margin": [0.2]},
        headline={"loss_gap": 1.0, "adversarial": 1.0, "group_margin": 0.2},
        seeds=[0],   # CI time; the numbers mean nothing
        primary_seeds=[0],
    ),
    "default": dict(
        config=dict(dataset="synthetic_identities",
                    data=dict(n_train_identities=40, n_test_identities=100, images_train=6, images_val=5,
                              images_test=5, nuisance=0.4, trait_spread=(1.0, 0.75)),
                    model="small_cnn", width=0.5, embedding_dim=64, loss="cosface", scale=30.0, margin=0.35,
                    epochs=80, batch_size=16, lr=3e-3, eval_max_images=500, eval_every=8, max_genuine=20000,
                    max_impostor=50000),
        weights={"loss_gap": [0.1, 0.3, 1.0], "adversarial": [1.0], "group_margin": [0.3]},
        headline={"loss_gap": 0.3, "adversarial": 1.0, "group_margin": 0.3},
        # Three seeds: the figures draw mean and t-interval over seeds, and the claims pair each method
        # with the plain margin loss of the same seed; the two settings behind the primary claim
        # (``fairgap.claims.primary``) run at ten. A run's seed fixes its initialisation, batch order and
        # evaluation pairs; the people and photos are the dataset's own (data option ``seed``).
        seeds=[0, 1, 2],
        primary_seeds=list(range(10)),
    ),
    "paper": dict(
        config=dict(dataset="celeba_identities", data=dict(sensitive="Male", image_size=64),
                    model="resnet18", width=1.0, embedding_dim=128, loss="arcface", scale=30.0, margin=0.5,
                    epochs=20, batch_size=256, lr=1e-3, eval_max_images=10000, max_genuine=50000,
                    max_impostor=500000, device="auto"),
        weights={"loss_gap": [0.1, 0.3, 1.0], "adversarial": [0.3, 1.0], "group_margin": [0.1, 0.3]},
        headline={"loss_gap": 0.3, "adversarial": 1.0, "group_margin": 0.3},
        seeds=[0, 1, 2],
        primary_seeds=list(range(10)),
    ),
}


def base_config(profile: str, **overrides) -> VerificationConfig:
    """The profile's plain-margin-loss config with ``overrides`` (dataset options are merged, not replaced)."""
    check_profile(profile)
    settings = dict(PROFILES[profile]["config"])
    overrides = {k: v for k, v in overrides.items() if v is not None}   # None: keep the profile's value
    if overrides.get("dataset", settings["dataset"]) != settings["dataset"]:
        settings["data"] = profile_options(profile, overrides["dataset"])  # not the profile's own dataset's
    data = {**settings.pop("data"), **(overrides.pop("data", None) or {})}
    settings.update(overrides)
    return VerificationConfig(**settings, data=data).validate()


def profile_weights(profile: str) -> dict[str, list[float]]:
    check_profile(profile)
    return {method: list(values) for method, values in PROFILES[profile]["weights"].items()}


def profile_seeds(profile: str, primary: bool = False) -> list[int]:
    """The seeds the notebook runs by default: one in ``smoke``, three in ``default`` and ``paper``; with
    ``primary``, those of the settings behind the primary claim (ten outside smoke)."""
    check_profile(profile)
    return list(with_seed_offset(PROFILES[profile])["primary_seeds" if primary else "seeds"])


def headline_weights(profile: str, weights: dict[str, list[float]]) -> dict[str, float]:
    """Per method, the weight F5a shows over epochs: the profile's choice if it was run, else the middle one.

    (The largest weight of the loss-gap penalty is deliberately strong enough to degrade the model for
    both groups: its gap is small because everything is bad, which F5b and the overview table show.)"""
    check_profile(profile)
    chosen = PROFILES[profile].get("headline", {})
    out = {}
    for method, values in weights.items():
        values = sorted(float(v) for v in values)
        if values:
            out[method] = float(chosen[method]) if chosen.get(method) in values else values[len(values) // 2]
    return out


def experiment_grid(base: VerificationConfig, weights: dict[str, list[float]],
                    seeds=None, primary_seeds=None) -> dict[tuple[str, float, int], VerificationConfig]:
    """(method, weight, seed) -> config: the plain loss ("none", 0.0) and each method at each weight, for each
    seed (default: the base config's seed); the settings behind the primary claim at ``primary_seeds``
    (None: ``seeds``)."""
    from ..claims.primary import seeds_for

    seeds = [base.seed] if seeds is None else [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty; give at least one seed, e.g. seeds=[0].")
    primary_seeds = seeds if primary_seeds is None else [int(s) for s in primary_seeds]
    settings = [("none", 0.0)] + [(method, float(w)) for method, values in weights.items() for w in values]
    grid = {}
    for method, weight in settings:
        for seed in seeds_for(NOTEBOOK, (method, weight), seeds, primary_seeds):
            grid[(method, weight, seed)] = base.replace(method=method, weight=weight, seed=seed)
    for config in grid.values():
        config.validate()  # fail on a typo before the first run trains
    return grid


def run_grid(configs: dict, progress: bool = True, executor: str = "auto") -> dict:
    """Run (or load from the cache) each config; with ``executor="auto"`` the runs not yet cached are
    spread over local processes, one per core (a run's numbers do not depend on where it ran: its
    thread count is part of its config), or on the Dask scheduler that DASK_SCHEDULER_ADDRESS names;
    ``"sequential"`` trains them here one after another."""
    if executor not in ("auto", "sequential"):
        raise ValueError(f"Unknown executor {executor!r}. Valid: auto, sequential.")
    train_pending(list(configs.items()), load_cached, lambda config: run_verification(config, progress=progress),
                  run_verification_in_worker, run_folder, executor=executor, progress=progress,
                  desc="verification runs")
    return {key: load_cached(config) for key, config in configs.items()}


def _label(key) -> dict:
    method, weight, seed = key
    return {"method": METHOD_LABELS.get(method, method), "method_id": method, "weight": weight, "seed": seed}


def combined_history(results: dict[tuple[str, float, int], VerificationResult]) -> pd.DataFrame:
    """All histories in one tidy table with method (readable), method_id, weight, seed and data_seed columns."""
    return pd.concat([r.history.assign(**_label(key), data_seed=data_seed_of(r.config)) for key, r in results.items()],
                     ignore_index=True)


def combined_roc(results: dict[tuple[str, float, int], VerificationResult]) -> pd.DataFrame:
    return pd.concat([r.roc.assign(**_label(key), data_seed=data_seed_of(r.config)) for key, r in results.items()],
                     ignore_index=True)


def final_table(results: dict, far: float = 1e-3, splits=("train", "val", "test")) -> pd.DataFrame:
    """Last epoch, per run (method, weight, seed), split and group: TAR@FAR (per-group and global threshold),
    FAR at the global threshold, EER; and the gaps between groups (group "gap")."""
    metrics = [f"tar_group@{far:g}", f"tar_global@{far:g}", f"far_global@{far:g}", "eer"]
    rows = []
    for key, result in results.items():
        final = result.final()
        for split in splits:
            part = final[final.split == split]
            for group in result.info["group_labels"]:
                values = part[part.group == str(group)].set_index("metric")["value"]
                rows.append({**_label(key), "split": split, "group": str(group),
                             **{m: float(values.get(m, float("nan"))) for m in metrics}})
            gaps = part[part.group == "all"].set_index("metric")["value"]
            rows.append({**_label(key), "split": split, "group": "gap",
                         **{m: float(gaps.get(f"{m}_gap", float("nan"))) for m in metrics}})
    return pd.DataFrame(rows)


def summary(final: pd.DataFrame) -> pd.DataFrame:
    """final_table averaged over seeds: rows (method, weight, group), columns (metric, split)."""
    metrics = [c for c in final.columns if "@" in c or c == "eer"]
    return final.pivot_table(index=["method", "weight", "group"], columns="split", values=metrics,
                             aggfunc="mean", sort=False)


COLLAPSE_EER = 0.4   # pooled EER on unseen identities at or above this: the embedding is close to chance


def overview(results: dict, far: float = 1e-3) -> pd.DataFrame:
    """One row per run at the last epoch: pooled EER and TAR at ``far`` (global threshold) on each set of photos,
    the change of the unseen-identity EER relative to the plain margin loss of the same seed, and whether the
    run collapsed (pooled EER on unseen identities >= COLLAPSE_EER: a near-chance embedding is trivially 'fair')."""

    def pooled(result, split, metric):
        final = result.final()
        value = final[(final.group == "all") & (final.split == split) & (final.metric == metric)].value
        return float(value.iloc[0]) if len(value) else float("nan")

    rows = []
    for key, result in results.items():
        row = _label(key)
        for split in ("train", "val", "test"):
            row[f"EER ({split})"] = pooled(result, split, "eer")
            row[f"TAR@{far:g} ({split})"] = pooled(result, split, f"tar_global@{far:g}")
        plain = results.get(("none", 0.0, key[2]))
        if plain is not None:
            row["EER change vs plain (test)"] = row["EER (test)"] - pooled(plain, "test", "eer")
        row["collapsed"] = bool(row["EER (test)"] >= COLLAPSE_EER)
        rows.append(row)
    return pd.DataFrame(rows).drop(columns=["method_id"]).set_index(["method", "weight", "seed"])


def probes(results: dict, methods=("none", "adversarial")) -> pd.DataFrame:
    """Probe of the sensitive attribute on held-out-photo and unseen-identity embeddings, for the runs of ``methods``:
    one row per run (index method, weight, seed), columns (scored_on, metric)."""
    chosen = {f"{key}": (key, result) for key, result in results.items() if key[0] in methods}
    table = probe_table({name: result for name, (_, result) in chosen.items()},
                        fit_splits=("train",), score_splits=("val", "test"))
    labels = [_label(chosen[name][0]) for name in table.index]
    table.index = pd.MultiIndex.from_tuples([(x["method"], x["weight"], x["seed"]) for x in labels],
                                            names=["method", "weight", "seed"])
    return table
