"""Notebook 00: the same fairness constraint on classical models and on networks, train vs test.

The classical models and MLPs (``fairgap.classical_fits``: ModelSpec, fitting, scoring; each fit a cached
``ClassicalFit`` scheduled by ``fairgap.sweep.train_pending`` like the image runs) on a tabular source and on
the profile's faces as PCA features, and the small CNN of notebooks 01-04 on the images themselves
(``fairgap.profiles.capacity_or_size``, cached runs). This module holds the notebook's
scale per profile (``SCALE``, resolved by ``scale``), its call (``classical_vs_deep``), its claims and prose.
"""

from __future__ import annotations

import pandas as pd

from ..classical_fits import (CONSTRAINT_NAMES, IMAGES, RESULT_COLUMNS, TARGETED, image_task, parse_models, run_tasks,
                              table_sizes, table_task)
from ..tabular import Table

SCALE = {
    # smoke: seconds, numbers meaningless. The CNN runs are the profile's sweep runs at n_train (as notebook 04).
    "smoke": dict(seeds=[0], cnn_seeds=[0], image_n_train=200, n_components=16, table_n_train=400,
                  table_n_test=3000),
    # default: 10 random splits; the CNN at 3 seeds (each ~10-20 s of CPU on this machine's 2 cores).
    "default": dict(seeds=list(range(10)), cnn_seeds=[0, 1, 2], image_n_train=1000, n_components=64,
                    table_n_train=1000, table_n_test=None),
    "paper": dict(seeds=list(range(20)), cnn_seeds=[0, 1, 2], image_n_train=10000, n_components=128,
                  table_n_train=4000, table_n_test=None),
}


def scale(profile: str) -> dict:
    from ..paths import check_profile, with_seed_offset

    check_profile(profile)
    return with_seed_offset(SCALE[profile])


def cnn_runs(profile: str, cnn: dict[str, dict], seeds: list[int], n_train: int, dataset: str | None = None,
             data: dict | None = None, executor: str = "auto") -> pd.DataFrame:
    """The CNN's final-epoch train/test metrics, in the tidy format of ``evaluate_spec``."""
    from ..profiles import capacity_or_size
    from ..fairness.base import REGISTRY
    from ..sweep import final_epoch

    if not cnn:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    table = capacity_or_size(profile, "n_train", [n_train], cnn, seeds, executor=executor, dataset=dataset, data=data)
    final = final_epoch(table)
    final = final[final.split.isin(["train", "test"])]
    targets = {label: REGISTRY[spec["method"]].targets for label, spec in cnn.items()}
    constraint = {label: next((c for c, metric in TARGETED.items() if metric == target), None)
                  for label, target in targets.items()}
    keep = final.metric.isin(["accuracy", "selection_rate", "tpr", "fpr", *TARGETED.values(), "collapsed"])
    out = final[keep].assign(source=IMAGES, model=final.label, family="network",
                             constraint=final.label.map(lambda label: CONSTRAINT_NAMES[constraint[label]]))
    return out[list(RESULT_COLUMNS)].reset_index(drop=True)


def classical_vs_deep(profile: str, models: dict[str, dict], cnn: dict[str, dict] | None = None,
                      table: Table | str | None = "adult", images: bool = True, seeds: list[int] | None = None,
                      cnn_seeds: list[int] | None = None, dataset: str | None = None, data: dict | None = None,
                      executor: str = "auto", workers: int | None = None, results: str = "train",
                      notebook: str = "00_classical_vs_deep") -> pd.DataFrame:
    """F0's data: every model of ``models`` on every source and seed, plus the CNN on the images.

    table: a Table (your DataFrame through fairgap.tabular.from_dataframe), the name of a bundled one or the
        path of a CSV / Parquet file (see fairgap.tabular.load_table), or None for no tabular source.
        images: also run on the profile's images (``dataset``/``data`` as in notebooks 01-04).
    executor: where the fits and CNN runs not yet cached run, as in the sweeps ("auto", "sequential",
        "processes", "dask" or a Dask scheduler address; the smoke profile's "auto" is sequential); workers:
        how many local processes for the fits (default: one per core). Returns the tidy table (RESULT_COLUMNS).
    results: "train" (fit and train, or read the caches; keep the table beside the figures) or "committed" (read
        the kept table, ``fairgap.committed``; nothing fits or trains). notebook: the run's key, whose folder
        keeps the table (``fairgap.paths.run_key``: a user's table has its own).
    """
    from ..committed import COMMITTED, check_results, keep, load
    from ..profiles import sweep_executor
    from ..tabular import load_table

    if check_results(results) == COMMITTED:
        return load(notebook, profile=profile)
    settings = scale(profile)
    seeds = list(settings["seeds"] if seeds is None else seeds)
    cnn_seeds = list(settings["cnn_seeds"] if cnn_seeds is None else cnn_seeds)
    labelled = parse_models(models, profile)
    tasks, frames = [], []
    if table is not None:
        table = load_table(table) if isinstance(table, str) else table
        tasks.append(table_task(table, *table_sizes(len(table), settings["table_n_train"], settings["table_n_test"],
                                                    table.name)))
    if images:
        tasks.append(image_task(profile, settings["image_n_train"], settings["n_components"], dataset, data))
        frames.append(cnn_runs(profile, cnn or {}, cnn_seeds, settings["image_n_train"], dataset, data, executor))
    frames += run_tasks(tasks, labelled, seeds, sweep_executor(profile, executor), workers)
    frame = pd.concat([f for f in frames if len(f)], ignore_index=True)
    keep(frame, notebook, profile=profile)
    return frame


# --- claims and prose ---

def contrast_claims(per_run: pd.DataFrame, references: list[str]) -> list:
    """The claims of notebook 00: per source and model, the test disparity exceeds the training disparity
    (gap > 0); and per source, each constrained network's gap exceeds that of each classical model in
    ``references`` on the same splits (paired by seed; the seeds both have)."""
    from ..evidence import claim

    claims = []
    for (source, model), part in per_run.groupby(["source", "model"], sort=False):
        metric = part.disparity.iloc[0].replace("_", " ")
        claims.append(claim(f"{source}: {model} is less fair on test than on train", f"test − train {metric}",
                            part.set_index("seed").gap, ">"))
    for source, mine in per_run.groupby("source", sort=False):
        networks = mine[(mine.family == "network") & (mine.constraint != "none")]
        for reference in references:
            ref = mine[mine.model == reference].set_index("seed").gap
            for model, part in (networks.groupby("model", sort=False) if len(ref) else []):
                paired = part.set_index("seed").gap.sub(ref).dropna()
                claims.append(claim(f"{source}: {model}'s gap exceeds {reference}'s (same splits)",
                                    "difference of test − train gaps, paired by split", paired, ">"))
    return claims


def contrast_markdown(summary: pd.DataFrame, source_titles: dict | None = None) -> str:
    """What the figure shows, per source, in numbers: each constrained model's train and test disparity,
    gap [95% CI] and training accuracy, classical models first."""
    from ..evidence import fmt, text

    titles = source_titles or {}
    lines = []
    for source, mine in summary.groupby("source", sort=False):
        lines.append(f"**{text(titles.get(source, source))}**")
        constrained = mine[mine.constraint != "none"]
        ranges = []
        for family, part in constrained.groupby("family"):
            ranges.append(f"constrained {family} models: gap {part.gap.min():.3f} to {part.gap.max():.3f}, training "
                          f"accuracy {part.train_accuracy.min():.3f} to {part.train_accuracy.max():.3f}")
        if ranges:
            lines.append("Mean test − train gap of the disparity each model was constrained on — " + "; ".join(ranges)
                         + ".")
            lines.append("")
        for _, row in mine.sort_values(["family", "constraint"], ascending=[True, False]).iterrows():
            collapsed = f"; constant predictor in {row.collapsed_share:.0%} of splits" if row.collapsed_share > 0 else ""
            lines.append(f"* {row.family} · {text(row.model)}: {row.disparity.replace('_', ' ')} {row.train:.3f} on "
                         f"train, "
                         f"{row.test:.3f} on test, gap {fmt(row.gap, row.gap_low, row.gap_high, 3)}; training accuracy "
                         f"{row.train_accuracy:.3f} (n = {row.n}{collapsed})")
        lines.append("")
    return "\n".join(lines)
