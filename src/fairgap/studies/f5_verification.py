"""Notebook 05, face verification: its profiles and the calls it makes (one call runs or loads the grid,
others tabulate it), its claims and its prose.

Profiles (the scale of every run in the notebook):

* ``smoke``: seconds, tiny generated identities, for CI; the numbers mean nothing.
* ``default``: minutes on a 2-core CPU; generated identities (``synthetic_identities``) few and
  clean enough for the network to fit its training identities.
* ``paper``: a GPU and CelebA identities (``identity_CelebA.txt``), ResNet-18, 64 px, ArcFace.

The grid is the plain margin loss (method ``none``) plus every fairness-promoting method at
each of its weights, for each seed; runs are labelled by (method, weight, seed).

Unseen identities are measured on the held-out split (``fairgap.generalisation.held_out_split``): on generated
identities every final model is also scored on the generator's population of fresh people
(``VerificationConfig.population``, the same people for every seed), and the claims, the overview and the findings
read it there; on CelebA, whose people are fixed, on the test split.

Claims: is each run's verification gap between groups larger on unseen identities than on
the training photos, and does any fairness-promoting method leave a smaller unseen-identity gap than the
plain margin loss? Both are paired by seed (a method's run and the plain run of the same seed share the
evaluation pairs).

Input: ``final_table``: one row per run (method, weight, seed), split and
group, with the metric columns ``tar_group@<far>``, ``tar_global@<far>``, ``far_global@<far>`` and ``eer``;
the rows with group ``"gap"`` hold the largest minus the smallest group value.
"""

from __future__ import annotations

import pandas as pd

from ..data import IDENTITY_POPULATION_DATASETS, profile_options
from ..generalisation import POPULATION, finite_test_error, finite_test_prose, held_out_name, held_out_split
from ..evidence import LITTLE, SHOWN, claim, claims_table, fmt, fmt_claim, fmt_mean, seed_difference, t_interval
from ..paths import check_profile, with_seed_offset
from ..sweep import train_pending
from ..train import data_seed_of
from ..verification.probe import probe_table
from ..verification.train import (VerificationConfig, VerificationResult, load_cached, run_folder, run_verification,
                                  run_verification_in_worker)

NOTEBOOK = "05_face_verification"

METHOD_LABELS = {
    "none": "margin loss only",
    "loss_gap": "loss-gap penalty",
    "adversarial": "adversarial (gradient reversal)",
    "group_margin": "group-specific margin",
}

SCALE = {
    "smoke": dict(
        config=dict(dataset="synthetic_identities",
                    data=dict(n_train_identities=12, n_test_identities=12, images_train=6, images_val=3,
                              images_test=4, image_size=16),
                    model="small_cnn", width=0.5, embedding_dim=16, loss="cosface", scale=30.0, margin=0.35,
                    epochs=2, batch_size=32, lr=3e-3, eval_max_images=200, max_genuine=2000, max_impostor=5000,
                    population=20, population_impostors=5000),   # a handful of people, so CI runs the population's code
        weights={"loss_gap": [1.0], "adversarial": [1.0], "group_margin": [0.2]},
        headline={"loss_gap": 1.0, "adversarial": 1.0, "group_margin": 0.2},
        seeds=[0],   # CI time; the numbers mean nothing
        primary_seeds=[0],
    ),
    "default": dict(
        config=dict(dataset="synthetic_identities",
                    data=dict(n_train_identities=40, n_test_identities=100, images_train=6, images_val=5,
                              images_test=5, nuisance=0.4),
                    model="small_cnn", width=0.5, embedding_dim=64, loss="cosface", scale=30.0, margin=0.35,
                    epochs=80, batch_size=16, lr=3e-3, eval_max_images=500, eval_every=8, max_genuine=20000,
                    max_impostor=50000,
                    # 10,000 fresh people (about 5,000 per group, every genuine pair of their photos) and 2,000,000
                    # impostor pairs per group drawn independently. TAR@0.001: with 2,000 people and 50,000
                    # impostor pairs the least precise run (margin loss, seed 4; the lighter group's TAR 0.16) read
                    # ±0.043; people alone give ±0.013 (2,000), ±0.009 (4,000), ±0.007 (8,000) with the threshold
                    # from every impostor pair, and 50,000 sampled impostor pairs add enough threshold noise to move
                    # that run's TAR by 0.04. TAR@0.01 (TARs near 0.4): with 6,000 people 17 of the 32 default
                    # runs read wider than ±0.01 (worst ±0.0116); the half-width goes as 1/sqrt(people), so 10,000
                    # bring the worst to about ±0.009. ``population_prose`` reports the half-width of every run.
                    # Scoring 6,000 took 11.2 s of a 32.7 s run (load 3.5): 30,000 photos embedded, 4,000,000
                    # impostor pairs scored and sorted; 10,000 add 20,000 photos (about 2.5 s on one core).
                    population=10000),
        weights={"loss_gap": [0.1, 0.3, 1.0], "adversarial": [1.0], "group_margin": [0.3]},
        headline={"loss_gap": 0.1, "adversarial": 1.0, "group_margin": 0.3},
        # Three seeds: the figures draw mean and t-interval over seeds, and the claims pair each method
        # with the plain margin loss of the same seed; the two settings behind the primary claim
        # (``fairgap.claims.primary``) run at 27. A run's seed fixes its initialisation, batch order and
        # evaluation pairs, and draws its own people and photos (``VerificationConfig.data_seed`` fixes them).
        seeds=[0, 1, 2],
        primary_seeds=list(range(27)),   # the pilot's SD asked for 27 (fairgap.claims.primary)
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
    settings = dict(scale(profile)["config"])
    overrides = {k: v for k, v in overrides.items() if v is not None}   # None: keep the profile's value
    if overrides.get("dataset", settings["dataset"]) != settings["dataset"]:
        settings["data"] = profile_options(profile, overrides["dataset"])  # not the profile's own dataset's
        if overrides["dataset"] not in IDENTITY_POPULATION_DATASETS:
            settings["population"] = 0   # real people: the test split is all there is
    data = {**settings.pop("data"), **(overrides.pop("data", None) or {})}
    settings.update(overrides)
    return VerificationConfig(**settings, data=data).validate()


def scale(profile: str) -> dict:
    """Notebook 05's scale (``SCALE``) for ``profile``, with ``--seed-offset`` applied to its seeds."""
    check_profile(profile)
    return with_seed_offset(SCALE[profile])


def profile_weights(profile: str) -> dict[str, list[float]]:
    return {method: list(values) for method, values in scale(profile)["weights"].items()}


def profile_seeds(profile: str, primary: bool = False) -> list[int]:
    """The seeds the notebook runs by default: one in ``smoke``, three in ``default`` and ``paper``; with
    ``primary``, those of the settings behind the primary claim (ten outside smoke)."""
    return list(scale(profile)["primary_seeds" if primary else "seeds"])


def headline_weights(profile: str, weights: dict[str, list[float]] | None = None) -> dict[str, float]:
    """Per method, the weight F5a shows over epochs: the profile's choice if it was run, else the middle one
    (``weights`` None: the profile's).

    (The largest weight of the loss-gap penalty is deliberately strong enough to degrade the model for
    both groups: its gap is small because everything is bad, which F5b and the overview table show.)"""
    check_profile(profile)
    weights = profile_weights(profile) if weights is None else weights
    chosen = scale(profile).get("headline", {})
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
        for seed in seeds_for(NOTEBOOK, {"method": method, "weight": weight}, seeds, primary_seeds):
            grid[(method, weight, seed)] = base.replace(method=method, weight=weight, seed=seed)
    for config in grid.values():
        config.validate()  # fail on a typo before the first run trains
    return grid


def profile_grid(profile: str, base: VerificationConfig, weights: dict[str, list[float]] | None = None,
                 seeds=None, primary_seeds=None) -> dict[tuple[str, float, int], VerificationConfig]:
    """``experiment_grid`` with the profile's weights, seeds and primary seeds where they are None."""
    return experiment_grid(base, profile_weights(profile) if weights is None else weights,
                           profile_seeds(profile) if seeds is None else seeds,
                           profile_seeds(profile, primary=True) if primary_seeds is None else primary_seeds)


class KeptRun:
    """A run read back from the committed tables (results="committed"): its config, ``history`` and ``roc`` as the
    run gave them and its groups; no embeddings (``probes`` reads the kept probe table instead)."""

    def __init__(self, config, history: pd.DataFrame, roc: pd.DataFrame):
        self.config, self.history, self.roc = config, history, roc
        self.info = {"group_labels": [g for g in dict.fromkeys(history.group) if g != "all"]}

    def final(self) -> pd.DataFrame:
        return self.history[self.history.epoch == self.history.epoch.max()]


class Runs(dict):
    """``run_grid``'s runs by key, with their probe table (``probes``) computed once."""
    probe_table: pd.DataFrame | None = None


KEPT_LABELS = ("method", "method_id", "weight", "seed", "data_seed")


def _kept(configs: dict, profile: str) -> Runs:
    """``run_grid``'s runs rebuilt from the tables it kept (``fairgap.committed``)."""
    from ..committed import load

    history, roc = load(NOTEBOOK, profile=profile), load(NOTEBOOK, "roc", profile)
    runs = Runs()
    for key, config in configs.items():
        label = _label(key)
        mine = [(frame[(frame.method_id == label["method_id"]) & (frame.weight == label["weight"])
                       & (frame.seed == label["seed"])]) for frame in (history, roc)]
        if not len(mine[0]):
            raise ValueError(f"The committed tables of {NOTEBOOK} have no run {key}: results=\"committed\" draws the "
                             "runs they were written with; run with results=\"train\" for other settings.")
        runs[key] = KeptRun(config, *[part.drop(columns=list(KEPT_LABELS)).reset_index(drop=True) for part in mine])
    runs.probe_table = load(NOTEBOOK, "probes", profile).set_index(["method", "weight", "seed"])
    runs.probe_table.columns = pd.MultiIndex.from_tuples([tuple(c.split(" | ")) for c in runs.probe_table.columns],
                                                         names=["scored_on", "metric"])
    return runs


def run_grid(configs: dict, progress: bool = True, executor: str = "auto", profile: str = "default",
             results: str = "train") -> dict:
    """Run (or load from the cache) each config; with ``executor="auto"`` the runs not yet cached are
    spread over local processes, one per core (a run's numbers do not depend on where it ran: its
    thread count is part of its config), or on the Dask scheduler that DASK_SCHEDULER_ADDRESS names;
    ``"sequential"`` trains them here one after another. Their histories, ROC curves and probe table are kept
    beside ``profile``'s figures; ``results="committed"`` reads them back instead (``fairgap.committed``: runs
    without embeddings, ``KeptRun``), and nothing trains."""
    from ..committed import COMMITTED, check_results, keep

    if check_results(results) == COMMITTED:   # the tables kept beside the figures; nothing trains
        return _kept(configs, profile)
    if executor not in ("auto", "sequential"):
        raise ValueError(f"Unknown executor {executor!r}. Valid: auto, sequential.")
    train_pending(list(configs.items()), load_cached, lambda config: run_verification(config, progress=progress),
                  run_verification_in_worker, run_folder, executor=executor, progress=progress,
                  desc="verification runs")
    runs = Runs({key: load_cached(config) for key, config in configs.items()})
    keep(combined_history(runs), NOTEBOOK, profile=profile)
    keep(combined_roc(runs), NOTEBOOK, "roc", profile)
    runs.probe_table = probes(runs)
    flat = runs.probe_table.copy()
    flat.columns = [" | ".join(c) for c in flat.columns]
    keep(flat.reset_index(), NOTEBOOK, "probes", profile)
    return runs


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


def final_table(results: dict, far: float = 1e-3, splits=None) -> pd.DataFrame:
    """Last epoch, per run (method, weight, seed), split and group: TAR@FAR (per-group and global threshold),
    FAR at the global threshold, EER; and the gaps between groups (group "gap"). ``splits`` None: train, val,
    test, and the population where the runs were scored on one."""
    metrics = [f"tar_group@{far:g}", f"tar_global@{far:g}", f"far_global@{far:g}", "eer"]
    if splits is None:
        splits = _final_splits(results)
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


def tar_per_group(results: dict, fars=(1e-3, 1e-2)) -> pd.DataFrame:
    """Each group's TAR (per-group threshold) at each of ``fars``, mean over seeds: rows (method, weight, group),
    columns (FAR, set of photos): training photos, new photos of the training identities, unseen identities."""
    names = {"train": "training photos", "val": "new photos", "test": "unseen (test)", POPULATION: "unseen (population)"}
    parts = []
    for far in fars:
        final = final_table(results, far=far)
        table = final.pivot_table(index=["method", "weight", "group"], columns="split", values=f"tar_group@{far:g}",
                                  aggfunc="mean", sort=False)
        table.columns = pd.MultiIndex.from_tuples([(f"TAR@{far:g}", names.get(c, c)) for c in table.columns])
        parts.append(table)
    return pd.concat(parts, axis=1)


COLLAPSE_EER = 0.4   # pooled EER on unseen identities at or above this: the embedding is close to chance


def overview(results: dict, far: float = 1e-3) -> pd.DataFrame:
    """One row per run at the last epoch: pooled EER and TAR at ``far`` (global threshold) on each set of photos,
    the change of the unseen-identity EER (held-out split: the population where there is one) relative to the plain
    margin loss of the same seed, and whether the run collapsed (pooled held-out EER >= COLLAPSE_EER: a near-chance embedding is trivially 'fair')."""

    def pooled(result, split, metric):
        final = result.final()
        value = final[(final.group == "all") & (final.split == split) & (final.metric == metric)].value
        return float(value.iloc[0]) if len(value) else float("nan")

    splits = _final_splits(results)
    held = POPULATION if POPULATION in splits else "test"
    rows = []
    for key, result in results.items():
        row = _label(key)
        for split in splits:
            row[f"EER ({split})"] = pooled(result, split, "eer")
            row[f"TAR@{far:g} ({split})"] = pooled(result, split, f"tar_global@{far:g}")
        plain = results.get(("none", 0.0, key[2]))
        if plain is not None:
            row[f"EER change vs plain ({held})"] = row[f"EER ({held})"] - pooled(plain, held, "eer")
        row["collapsed"] = bool(row[f"EER ({held})"] >= COLLAPSE_EER)
        rows.append(row)
    return pd.DataFrame(rows).drop(columns=["method_id"]).set_index(["method", "weight", "seed"])


def probes(results: dict, methods=("none", "adversarial")) -> pd.DataFrame:
    """Probe of the sensitive attribute on held-out-photo and unseen-identity embeddings, for the runs of ``methods``:
    one row per run (index method, weight, seed), columns (scored_on, metric). ``run_grid``'s runs carry it."""
    if getattr(results, "probe_table", None) is not None and tuple(methods) == ("none", "adversarial"):
        return results.probe_table
    chosen = {f"{key}": (key, result) for key, result in results.items() if key[0] in methods}
    table = probe_table({name: result for name, (_, result) in chosen.items()},
                        fit_splits=("train",), score_splits=("val", "test"))
    labels = [_label(chosen[name][0]) for name in table.index]
    table.index = pd.MultiIndex.from_tuples([(x["method"], x["weight"], x["seed"]) for x in labels],
                                            names=["method", "weight", "seed"])
    return table


# --- claims and prose ---

PLAIN = "none"
SPLITS = {"train": "training photos", "val": "new photos of the training identities", "test": "unseen identities"}


def metric_name(metric: str) -> str:
    """'tar_group@0.001' -> 'TAR@0.001', 'eer' -> 'EER'."""
    return metric.split("_")[0].upper() + ("@" + metric.split("@")[1] if "@" in metric else "")


def run_label(method: str, weight: float) -> str:
    return method if weight == 0 else f"{method}, w={weight:g}"


def _settings(final: pd.DataFrame) -> list[tuple[str, float, str]]:
    """(method_id, weight, readable label) of every run setting, the plain margin loss first."""
    settings = final[["method_id", "weight", "method"]].drop_duplicates()
    settings = settings.assign(plain=settings.method_id != PLAIN).sort_values(["plain"], kind="stable")
    return [(m, float(w), run_label(name, w)) for m, w, name in zip(settings.method_id, settings.weight, settings.method)]


def _values(final: pd.DataFrame, method_id: str, weight: float, split: str, group: str, metric: str) -> pd.Series:
    """Per seed: ``metric`` of one run setting on one split and group."""
    rows = final[(final.method_id == method_id) & (final.weight == weight) & (final.split == split)
                 & (final.group == group)]
    return rows.set_index("seed")[metric]


def default_metrics(far: float) -> tuple[str, str]:
    return f"tar_group@{far:g}", "eer"


def verification_claims(final: pd.DataFrame, far: float = 1e-3, metrics=None) -> pd.DataFrame:
    """The claims table of notebook 05, for each metric (default: TAR at ``far`` with per-group thresholds,
    and the EER); unseen identities are the held-out split (the population where the runs have one, else test):

    * every run setting: the gap between groups on unseen identities − on the training photos > 0, and − on new
      photos of the training identities > ``LITTLE`` (the training people without the photos the network fitted);
    * every fairness-promoting setting: its unseen-identity gap − the plain margin loss's < 0;
    * every fairness-promoting setting: the change of the gap it makes (vs the margin loss, same seed) on the
      training photos minus the change on unseen identities < 0: it equalises what it trains on more than
      what it has not seen (the paper's claim, as a difference of paired differences);
    * the same with new photos of the training identities (the validation split) in place of the training
      photos: the paper's question without the photos the network memorised.
    """
    metrics = metrics or default_metrics(far)
    missing = [m for m in metrics if m not in final.columns]
    if missing:
        raise ValueError(f"The final table has no column(s) {missing} (columns: {', '.join(final.columns)}); "
                         "pass fv.final_table(results, far=far) with the same far.")
    settings, held = _settings(final), held_out_split(final)
    if not settings or settings[0][0] != PLAIN:
        raise ValueError("The final table has no plain margin-loss runs (method 'none'); they are the reference.")
    claims = []
    for method_id, weight, label in settings:
        for metric in metrics:
            gap = seed_difference(_values(final, method_id, weight, held, "gap", metric),
                                  _values(final, method_id, weight, "train", "gap", metric))
            claims.append(claim(f"{label}: {metric_name(metric)} gap larger on unseen identities than on training photos",
                                f"{metric_name(metric)} gap: unseen identities − training photos (same run)", gap))
            if (final.split == "val").any():  # the training people on photos the network never saw: no memorised photo
                beyond = seed_difference(_values(final, method_id, weight, held, "gap", metric),
                                         _values(final, method_id, weight, "val", "gap", metric))
                claims.append(claim(f"{label}: {metric_name(metric)} gap larger on unseen identities than on new photos "
                                    f"of the training identities by more than {LITTLE:g}",
                                    f"{metric_name(metric)} gap: unseen identities − new photos of the training "
                                    "identities (same run)", beyond, null=LITTLE))
    for method_id, weight, label in settings[1:]:
        for metric in metrics:
            change = seed_difference(_values(final, method_id, weight, held, "gap", metric),
                                     _values(final, PLAIN, 0.0, held, "gap", metric))
            claims.append(claim(f"{label}: smaller {metric_name(metric)} gap on unseen identities than the margin loss alone",
                                f"{metric_name(metric)} gap on unseen identities: method − margin loss only (same seed)",
                                change, direction="<"))
            on_train = seed_difference(_values(final, method_id, weight, "train", "gap", metric),
                                       _values(final, PLAIN, 0.0, "train", "gap", metric))
            claims.append(claim(f"{label}: {metric_name(metric)} gap reduction vs the margin loss is larger on training "
                                "photos than on unseen identities",
                                f"{metric_name(metric)} gap, method − margin loss (same seed): on training photos − on "
                                "unseen identities", seed_difference(on_train, change), direction="<"))
            if (final.split == "val").any():  # the training identities measured on photos the network never saw
                on_new = seed_difference(_values(final, method_id, weight, "val", "gap", metric),
                                         _values(final, PLAIN, 0.0, "val", "gap", metric))
                claims.append(claim(f"{label}: {metric_name(metric)} gap reduction vs the margin loss is larger on new "
                                    "photos of training identities than on unseen identities",
                                    f"{metric_name(metric)} gap, method − margin loss (same seed): on new photos of the "
                                    "training identities − on unseen identities", seed_difference(on_new, change),
                                    direction="<"))
    return claims_table(claims)


def group_changes(final: pd.DataFrame, metric: str, split: str = "test") -> pd.DataFrame:
    """Each group's ``metric`` under each fairness-promoting setting minus under the plain margin loss of the same
    seed, on ``split``: mean, 95% t-interval over seeds, n, and the plain value."""
    rows = []
    groups = [g for g in dict.fromkeys(final.group) if g != "gap"]
    for method_id, weight, label in _settings(final)[1:]:
        for group in groups:
            plain = _values(final, PLAIN, 0.0, split, group, metric)
            change = seed_difference(_values(final, method_id, weight, split, group, metric), plain).dropna()
            low, high = t_interval(change)
            rows.append({"run": label, "group": group, "plain": float(plain.mean()), "change": float(change.mean()),
                         "lower": low, "upper": high, "n": len(change)})
    return pd.DataFrame(rows, columns=["run", "group", "plain", "change", "lower", "upper", "n"])


def _listing(rows: pd.DataFrame, name) -> str:
    if rows.empty:
        return "none"
    return "; ".join(f"{name(row)} {fmt_claim(row)}" for _, row in rows.iterrows())


def findings(final: pd.DataFrame, claims: pd.DataFrame, far: float = 1e-3, probes: pd.DataFrame | None = None) -> str:
    """'What you see' in notebook 05, every number computed from the final table, the claims and the probes."""
    tar, eer = default_metrics(far)
    groups = [g for g in dict.fromkeys(final.group) if g != "gap"]
    plain, held = final[final.method_id == PLAIN], held_out_split(final)

    def per_group(split: str, metric: str, digits: int = 2) -> str:
        return ", ".join(f"{g} {fmt_mean(plain[(plain.split == split) & (plain.group == g)][metric], digits)}"
                         for g in groups)

    def gap(split: str, metric: str, digits: int = 2) -> str:
        return fmt_mean(plain[(plain.split == split) & (plain.group == "gap")][metric], digits)

    gaps = final[final.group == "gap"].groupby(["method_id", "weight", "split"])[[tar, eer]].mean()
    train_gaps = gaps.xs("train", level="split")
    lines = [
        f"* **Training photos.** Margin loss alone: {metric_name(tar)} gap {gap('train', tar)}, EER gap "
        f"{gap('train', eer, 3)}; over all runs the mean training-photo {metric_name(tar)} gap lies between "
        f"{train_gaps[tar].min():.2f} and {train_gaps[tar].max():.2f} and the EER gap between "
        f"{train_gaps[eer].min():.3f} and {train_gaps[eer].max():.3f}. {metric_name(tar)} per group: {per_group('train', tar)}.",
        f"* **New photos of the training identities.** Margin loss alone: {metric_name(tar)} per group "
        f"{per_group('val', tar)} (gap {gap('val', tar)}); EER per group {per_group('val', eer, 3)} "
        f"(gap {gap('val', eer, 3)}).",
        f"* **Unseen identities** ({_held_text(held)}). Margin loss alone: {metric_name(tar)} per group "
        f"{per_group(held, tar)} (gap {gap(held, tar)}); EER per group {per_group(held, eer, 3)} "
        f"(gap {gap(held, eer, 3)}).",
    ]
    name = lambda row: f"{row.claim.split(':')[0]} ({row.statistic.split(' gap')[0]})"  # noqa: E731
    for photos, title in (("training photos", "Unseen − training-photo gap > 0"),
                          ("new photos of the training identities", f"Unseen − new-photo gap > {LITTLE:g}")):
        larger = claims[claims.claim.str.contains(f"larger on unseen identities than on {photos}", regex=False)]
        if len(larger):
            lines.append(f"* **{title}** (paired within each run): shown for "
                         f"{_listing(larger[larger.verdict == SHOWN], name)}. Not shown for "
                         f"{_listing(larger[larger.verdict != SHOWN], name)}.")
    smaller = claims[claims.claim.str.contains("on unseen identities than the margin loss alone")]
    above = smaller[(smaller.n > 1) & (smaller.lower > 0)]
    lines.append(f"* **A smaller unseen-identity gap than the margin loss alone** (method − plain, same seed): shown "
                 f"for {_listing(smaller[smaller.verdict == SHOWN], name)}. Not shown for "
                 f"{_listing(smaller[smaller.verdict != SHOWN], name)}"
                 + (f"; of these, a *larger* gap (interval above 0) for {', '.join(map(name, above.itertuples()))}."
                    if len(above) else "."))
    changes = group_changes(final, eer, held)
    if len(changes):
        better = min(groups, key=lambda g: plain[(plain.split == held) & (plain.group == g)][eer].mean())
        worse = [g for g in groups if g != better]
        level = [run for run, part in changes.groupby("run", sort=False)
                 if (part.n > 1).all() and (part[part.group == better].lower > 0).all()
                 and (part[part.group.isin(worse)].upper >= 0).all()]
        text = "; ".join(f"{run}: " + ", ".join(f"{r.group} {fmt(r.change, r.lower, r.upper, 3)}"
                                                 for r in part.itertuples())
                         for run, part in changes.groupby("run", sort=False))
        lines.append(f"* **Which group moved** (unseen-identity EER minus the margin loss alone's, same seed; "
                     f"{better} is the better-verified group): {text}. Leveling down (the {better} group's EER "
                     f"rises, interval above 0, while no other group's falls): {', '.join(level) or 'none'}.")
    far_metric = f"far_global@{far:g}"
    if far_metric in final.columns:
        lines.append(f"* **One global threshold** (set at FAR = {far:g} over all impostor pairs), margin loss alone, "
                     f"unseen identities: each group's FAR {per_group(held, far_metric, 4)}.")
    if probes is not None and len(probes):
        parts = []
        for method, rows in probes.groupby(level="method", sort=False):
            accuracy, auc = rows[("test", "accuracy")], rows[("test", "auc")]
            parts.append(f"{method}: accuracy {fmt_mean(accuracy)}, AUC {fmt_mean(auc)}")
        majority = probes[("test", "majority_accuracy")].mean()
        lines.append(f"* **What the embeddings reveal** (a logistic-regression probe of the group fitted on the training "
                     f"photos' embeddings, scored on unseen identities; majority-class accuracy {majority:.2f}): "
                     + "; ".join(parts) + ".")
    return "\n".join(lines)


def _final_splits(results: dict) -> tuple[str, ...]:
    """The splits a final model is read on: train, val, test, and the population where any run was scored on one."""
    scored = any((r.history.split == POPULATION).any() for r in results.values())
    return ("train", "val", "test") + ((POPULATION,) if scored else ())


def _held_text(split: str) -> str:
    return ("the generator's population of fresh people" if split == POPULATION
            else f"the {held_out_name(split)} split")


def population_prose(history: pd.DataFrame, far: float = 1e-3) -> str:
    """How precisely the population measures each group's TAR at ``far`` (its bootstrap half-width over people and
    impostor pairs, worst run, against the ±0.01 the population is sized for) and how far the finite test split's
    TAR gap sits from the population's; empty without a population."""
    from ..data.population import TARGET_HALFWIDTH

    last = history[history.epoch == history.groupby(["method_id", "weight", "seed"]).epoch.transform("max")]
    population = last[last.split == POPULATION]
    if population.empty:
        return ""
    tar = f"tar_group@{far:g}"
    widths = population[population.metric == f"{tar}_halfwidth"]
    groups = "; ".join(
        f"{group}: {int(rows[rows.metric == 'n_genuine'].value.max()):,} genuine and "
        f"{int(rows[rows.metric == 'n_impostor'].value.max()):,} impostor pairs, TAR ± "
        f"{rows[rows.metric == f'{tar}_halfwidth'].value.max():.3f}"
        for group, rows in population[population.group != "all"].groupby("group", sort=False))
    wide = widths.groupby(["method_id", "weight", "seed"]).value.max() > TARGET_HALFWIDTH
    runs = f"{int(wide.sum())} of {len(wide)} runs" if wide.any() else f"none of the {len(wide)} runs"
    differences = finite_test_error(last, f"{tar}_gap", by=("method_id", "weight", "seed"))
    return (f"**The population's own precision.** Every final model is also scored on the generator's population of "
            f"fresh people, the same for every seed, with every genuine pair of each person. Sampling the people and "
            f"the impostor pairs moves each group's {metric_name(tar)} by at most (95%, bootstrap over people and "
            f"impostor pairs, worst run) {groups}; {runs} measure a group's TAR less precisely than "
            f"±{TARGET_HALFWIDTH:g}.\n\n"
            + finite_test_prose(differences, f"{metric_name(tar)} gap between groups"))
