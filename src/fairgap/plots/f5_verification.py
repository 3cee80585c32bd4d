"""F5 (notebook 05): face verification, per-group gaps on training identities against unseen identities."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ..evidence import t_interval
from ..generalisation import POPULATION, variance_sources
from ..decomposition import FLOOR_SPLIT
from .common import floor_at, seeds_note, set_style

SPLIT_NAMES = {"train": "training identities,\ntraining photos", "val": "training identities,\nnew photos",
               "test": "unseen identities", POPULATION: "unseen identities,\npopulation"}
SPLIT_ORDER = ("train", "val", "test")
# The population (``VerificationConfig.population``) scores only the final model: it joins the last-epoch figures.
FINAL_SPLITS = SPLIT_ORDER + (POPULATION,)


def metric_label(metric: str) -> str:
    """'tar_group@0.001_gap' -> 'TAR at FAR=0.001, per-group threshold: gap between groups'."""
    base, gap = (metric[:-4], True) if metric.endswith("_gap") else (metric, False)
    if base == "eer":
        text = "EER (equal error rate)"
    elif "@" in base:
        kind, far = base.split("@")
        text = {"tar_group": f"TAR at FAR={far}\n(per-group threshold)",
                "tar_global": f"TAR at FAR={far}\n(one global threshold)",
                "far_global": f"FAR at the global threshold\nfor FAR={far}"}.get(kind, base)
    else:
        text = base.replace("_", " ")
    return text + ("\ngap between groups" if gap else "")


def _rows_from_zero(axes) -> None:
    """Each row of panels from 0 to just above its largest value (shared y axes would clip otherwise)."""
    for row in axes:
        tops = [line.get_ydata().max() for ax in row for line in ax.get_lines() if len(line.get_ydata())]
        tops += [path.vertices[:, 1].max() for ax in row for band in ax.collections
                 for path in getattr(band, "get_paths", lambda: [])() if len(path.vertices)]
        top = max((t for t in tops if t == t), default=1.0)   # t == t drops NaN
        for ax in row:
            ax.set_ylim(0, max(top, 1e-3) * 1.08)


def _n(frame: pd.DataFrame) -> str:
    """The n of a figure: seeds per run (method and weight)."""
    return seeds_note(frame.groupby(["method", "weight"]).seed.nunique())


def _run_label(frame: pd.DataFrame) -> pd.Series:
    return frame.method + frame.weight.map(lambda w: "" if w == 0 else f", w={w:g}")


def _floor(axes, floor: float | None) -> None:
    """The Bayes floor of every gap (``fairgap.data.bayes.verification_floor``; None: real data, nothing drawn)."""
    if floor is not None:
        for ax in axes.flat:
            floor_at(ax, floor)


def _with_floor(data: pd.DataFrame, floor: float | None, metrics) -> pd.DataFrame:
    """The figure's data with one row per metric holding the floor (split "bayes floor")."""
    if floor is None:
        return data
    return pd.concat([data, pd.DataFrame({"split": FLOOR_SPLIT, "group": "all", "metric": list(metrics),
                                          "value": floor})], ignore_index=True)


def verification_gap_over_epochs(history: pd.DataFrame, metrics=("tar_group@0.001_gap", "eer_gap"),
                                 select: dict | None = None, splits=SPLIT_ORDER, floor: float | None = None):
    """F5a: the gap between groups per epoch (rows: metrics), on training photos, on new photos of the
    training identities and on unseen identities (columns), one line per run (mean over seeds, 95%
    Student-t band over seeds; the title states n).

    ``select`` maps method_id -> the weight to show (default: each method's largest weight); the plain
    margin loss ("none") is always shown. ``floor``: the Bayes floor of the gaps, drawn dotted (None: none)."""
    set_style()
    h = history[(history.group == "all") & history.metric.isin(metrics) & history.split.isin(splits)]
    if select is None:
        select = h.groupby("method_id").weight.max().to_dict()
    select = {**select, "none": 0.0}
    h = h[pd.Series([select.get(m) == w for m, w in zip(h.method_id, h.weight)], index=h.index, dtype=bool)].copy()
    h["run"] = _run_label(h)
    present = [s for s in splits if s in set(h.split)]
    fig, axes = plt.subplots(len(metrics), len(present), figsize=(4.4 * len(present), 3.4 * len(metrics)),
                             squeeze=False, sharex=True, sharey="row")
    for r, metric in enumerate(metrics):
        for c, split in enumerate(present):
            ax = axes[r, c]
            part = h[(h.metric == metric) & (h.split == split)]
            sns.lineplot(data=part, x="epoch", y="value", hue="run", marker="o", markersize=4, ax=ax,
                         errorbar=t_interval, legend=(r == 0 and c == len(present) - 1))
            ax.set_title(SPLIT_NAMES.get(split, split) if r == 0 else "")
            ax.set_xlabel("epoch" if r == len(metrics) - 1 else "")
            ax.set_ylabel(metric_label(metric) if c == 0 else "")
    _rows_from_zero(axes)
    _floor(axes, floor)
    if axes[0, -1].get_legend() is not None:
        sns.move_legend(axes[0, -1], "upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, title=None)
    fig.suptitle("Per-group verification gap: training identities vs unseen identities\n"
                 f"mean and 95% t-interval band over seeds; {variance_sources(h)} ({_n(h)})", y=1.03)
    fig.tight_layout()
    return fig, _with_floor(h.drop(columns=["run"]).reset_index(drop=True), floor, metrics)


def verification_gap_vs_weight(history: pd.DataFrame, metrics=("tar_group@0.001_gap", "eer_gap"),
                               splits=FINAL_SPLITS, floor: float | None = None):
    """F5b: the final gap against the fairness weight, per method (columns; weight 0 = the plain margin
    loss, shared by all), on each split (line style), per metric (rows); ``floor`` as in F5a."""
    set_style()
    final = history[history.epoch == history.groupby(["method_id", "weight"]).epoch.transform("max")]
    final = final[(final.group == "all") & final.metric.isin(metrics) & final.split.isin(splits)]
    plain = final[final.method_id == "none"]
    methods = [m for m in final.method_id.unique() if m != "none"]
    frames = []
    for m in methods:
        mine = final[final.method_id == m]
        frames.append(pd.concat([plain.assign(method_id=m, method=mine.method.iloc[0]), mine]))
    table = pd.concat(frames, ignore_index=True) if frames else final.copy()
    table["split_name"] = table.split.map(lambda s: SPLIT_NAMES.get(s, s).replace("\n", " "))
    fig, axes = plt.subplots(len(metrics), max(1, len(methods)), figsize=(4.4 * max(1, len(methods)),
                             3.4 * len(metrics)), squeeze=False, sharey="row")
    style_order = [SPLIT_NAMES[s].replace("\n", " ") for s in splits if s in set(table.split)]
    for r, metric in enumerate(metrics):
        for c, m in enumerate(methods):
            ax = axes[r, c]
            part = table[(table.method_id == m) & (table.metric == metric)].sort_values("weight")
            sns.lineplot(data=part, x="weight", y="value", hue="split_name", style="split_name", hue_order=style_order,
                         style_order=style_order, markers=True, errorbar=t_interval, ax=ax,
                         legend=(r == 0 and c == len(methods) - 1))
            ax.set_title(part.method.iloc[0] if r == 0 and len(part) else "")
            ax.set_xlabel("fairness weight (0 = margin loss only)" if r == len(metrics) - 1 else "")
            ax.set_ylabel(metric_label(metric) if c == 0 else "")
    _rows_from_zero(axes)
    _floor(axes, floor)
    if axes[0, -1].get_legend() is not None:
        sns.move_legend(axes[0, -1], "upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, title=None)
    fig.suptitle("Gap between groups at the last epoch against the strength of the fairness term\n"
                 f"mean and 95% t-interval band over seeds; {variance_sources(table)} ({_n(table)})", y=1.03)
    fig.tight_layout()
    return fig, _with_floor(table.drop(columns=["split_name"]).reset_index(drop=True), floor, metrics)


def verification_per_group(final: pd.DataFrame, far: float = 1e-3, splits=FINAL_SPLITS):
    """F5c: each group's TAR at FAR (per-group threshold) and EER per run, on the given splits: which group
    moved when a gap closed (leveling down shows as the better group getting worse). Bars: mean over seeds,
    whiskers: 95% Student-t interval over seeds."""
    set_style()
    metrics = [f"tar_group@{far:g}", "eer"]
    splits = [s for s in splits if s in set(final.split)]   # one column per split the runs were scored on
    part = final[(final.group != "gap") & final.split.isin(splits)].copy()
    part["run"] = _run_label(part)
    long = part.melt(id_vars=["run", "seed", "split", "group"], value_vars=metrics, var_name="metric")
    fig, axes = plt.subplots(len(metrics), len(splits), figsize=(4.6 * len(splits), 3.6 * len(metrics)),
                             squeeze=False, sharey="row")
    runs = list(dict.fromkeys(part.run))
    for r, metric in enumerate(metrics):
        for c, split in enumerate(splits):
            ax = axes[r, c]
            sns.barplot(data=long[(long.metric == metric) & (long.split == split)], x="run", y="value",
                        hue="group", order=runs, errorbar=t_interval, ax=ax,
                        legend=(r == 0 and c == len(splits) - 1))
            ax.set_title(SPLIT_NAMES.get(split, split).replace("\n", " ") if r == 0 else "")
            ax.set_xlabel("")
            ax.set_ylabel(metric_label(metric) if c == 0 else "")
            ax.tick_params(axis="x", rotation=35)
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
    if axes[0, -1].get_legend() is not None:
        sns.move_legend(axes[0, -1], "upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.suptitle(f"Each group at the last epoch: mean and 95% t-interval over seeds; {variance_sources(part)} ({_n(part)})", y=1.01)
    fig.tight_layout()
    return fig, long.reset_index(drop=True)


def verification_roc(roc: pd.DataFrame, runs: list[tuple[str, float]], splits=("val", "test", POPULATION)):
    """F5d: per-group ROC curves (TAR against FAR, log scale) of the chosen (method_id, weight) runs: mean over
    seeds at each FAR of the fixed grid, with a 95% Student-t band over seeds."""
    set_style()
    splits = [s for s in splits if s in set(roc.split)]   # one panel per split the runs were scored on
    wanted = pd.Series([(m, w) in runs for m, w in zip(roc.method_id, roc.weight)], index=roc.index)
    chosen = roc[wanted & (roc.group != "all") & roc.split.isin(splits)].copy()
    chosen["run"] = _run_label(chosen)
    fig, axes = plt.subplots(1, len(splits), figsize=(5.0 * len(splits), 4.0), squeeze=False, sharey=True)
    for ax, split in zip(axes[0], splits):
        sns.lineplot(data=chosen[chosen.split == split], x="far", y="tar", hue="group", style="run", ax=ax,
                     legend=ax is axes[0, -1], drawstyle="steps-post", errorbar=t_interval)
        ax.set_xscale("log")
        ax.set(title=SPLIT_NAMES.get(split, split).replace("\n", " "), xlabel="false accept rate (FAR)",
               ylabel="true accept rate (TAR)", ylim=(0, 1.01))
    if axes[0, -1].get_legend() is not None:
        sns.move_legend(axes[0, -1], "upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.suptitle(f"ROC per group: mean and 95% t-interval band over seeds; {variance_sources(chosen)} ({_n(chosen)})", y=1.02)
    fig.tight_layout()
    return fig, chosen.drop(columns=["run"]).reset_index(drop=True)


def identity_examples(dataset, people_per_group: int = 4, photos: int = 6, split: str = "train"):
    """A grid of photos: one row per person (the first people of each group), one column per photo."""

    part = dataset[split]
    rows, people = [], []
    for g, label in enumerate(dataset.group_labels):
        chosen = [int(p) for p in part.identity[part.group == g].unique()[:people_per_group]]
        people += [(label, p) for p in chosen]
    n_cols = min(photos, min(int((part.identity == p).sum()) for _, p in people)) if people else 0
    fig, axes = plt.subplots(len(people), n_cols, figsize=(1.1 * n_cols + 1.2, 1.1 * len(people)), squeeze=False)
    for r, (label, person) in enumerate(people):
        images = part.images[part.identity == person][:n_cols].permute(0, 2, 3, 1).numpy()
        for c in range(n_cols):
            ax = axes[r, c]
            ax.imshow(images[c], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(f"{label}\n#{person}", rotation=0, ha="right", va="center", fontsize=8)
        rows.append({"group": label, "identity": person, "photos_shown": n_cols})
    fig.suptitle(f"Photos of {people_per_group} {split}ing people per group (one row per person)"
                 if split == "train" else f"Photos of people in the {split} split", y=1.0)
    fig.tight_layout()
    return fig, pd.DataFrame(rows)
