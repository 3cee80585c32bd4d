"""F8 (notebook 08): the train–test fairness gap against training fit, per family along its capacity path;
fairlearn #460 reproduced; the gap against the training-set size."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..evidence import figure_text
from .common import log_axis, set_style

FAMILY_COLORS = {"logistic regression": "#1f77b4", "decision tree": "#2ca02c", "random forest": "#8c564b",
                 "k-nearest neighbours": "#9467bd", "MLP": "#d62728", "CNN": "#ff7f0e"}
CONSTRAINT_TITLES = {"none": "unconstrained\n(gap of the equalized odds difference)",
                     "EO": "equalized-odds constraint\n(EG, ThresholdOptimizer or penalty)",
                     "DP": "demographic-parity constraint\n(EG, ThresholdOptimizer or penalty)"}


def _errorbar(ax, x, mean, low, high, **style):
    yerr = np.vstack([np.asarray(mean) - np.asarray(low), np.asarray(high) - np.asarray(mean)])
    ax.errorbar(x, mean, yerr=np.nan_to_num(yerr), **style)


def capacity_not_family(summary: pd.DataFrame, source_titles: dict | None = None):
    """F8. Rows: data sources; columns: unconstrained, EO-constrained, DP-constrained. Each family is one
    colour, its capacity path a line from the lowest capacity (small hollow marker) to the highest (large
    filled marker); y: the mean train–test gap of the disparity the model is constrained on, with its 95%
    t-interval over splits; x: mean training accuracy. Returns (figure, the table drawn)."""
    set_style()
    sources = list(dict.fromkeys(summary.source))
    constraints = [c for c in ("none", "EO", "DP") if c in set(summary.constraint_short)]
    titles = source_titles or {}
    fig, axes = plt.subplots(len(sources), len(constraints), figsize=(5.2 * len(constraints), 4.4 * len(sources)),
                             squeeze=False, sharey="row")
    for i, source in enumerate(sources):
        for j, constraint in enumerate(constraints):
            ax = axes[i, j]
            mine = summary[(summary.source == source) & (summary.constraint_short == constraint)]
            order = {family: k for k, family in enumerate(FAMILY_COLORS)}
            for family, path in sorted(mine.groupby("family_name", sort=False), key=lambda f: order.get(f[0], 99)):
                path = path.sort_values("capacity_rank")
                color = FAMILY_COLORS.get(family, "grey")
                ax.plot(path.train_accuracy, path.gap, color=color, lw=1.2, alpha=0.8,
                        label=family if (i, j) == (0, 0) else None)
                sizes = np.linspace(4, 9, len(path))
                for (_, row), size in zip(path.iterrows(), sizes):
                    _errorbar(ax, [row.train_accuracy], [row.gap], [row.gap_low], [row.gap_high], fmt="o", ms=size,
                              color=color, mfc=color if row.capacity_rank == path.capacity_rank.max() else "white",
                              capsize=2, lw=0.9)
            ax.axhline(0, color="black", lw=0.8)
            n = f"n = {int(mine.n.min())}" + (f"-{int(mine.n.max())}" if mine.n.max() != mine.n.min() else "")
            ax.set(xlabel="training accuracy (mean over splits)",
                   ylabel=f"{figure_text(titles.get(source, source))}\nfairness gap, test − train" if j == 0 else "",
                   title=f"{CONSTRAINT_TITLES[constraint]}, {n} split{'s' if mine.n.max() > 1 else ''} per point")
            ax.title.set_fontsize(9)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=len(labels), bbox_to_anchor=(0.5, 1.0), fontsize=9)
    fig.suptitle("Train–test fairness gap against training fit, each family along its capacity path "
                 "(hollow: lowest capacity, filled: highest; bars: 95% t-intervals over random splits)", y=1.04,
                 fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig, summary


def issue460(table: pd.DataFrame, path: pd.DataFrame, path_title: str, splits_title: str = "70/30"):
    """F8b. Left: DP difference and accuracy on train and test for the unrestricted tree with and without
    EG (DP), mean and 95% t-interval over splits, beside the numbers of fairlearn #460 (crosses). Right:
    the gap along the tree's depth under EG (DP), with the 0.02 line under which it "carries over"."""
    set_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    rows = []
    for i, (_, row) in enumerate(table.iterrows()):
        for k, (metric, short) in enumerate((("DP difference", "DP diff."), ("accuracy", "accuracy"))):
            for s, split in enumerate(("train", "test")):
                x = i * 5 + k * 2.2 + s * 0.9
                mean, low, high = row[f"{split} {metric}"], row[f"{split} {metric} low"], row[f"{split} {metric} high"]
                left.bar(x, mean, width=0.8, color=("#1f77b4", "#ff7f0e")[s], alpha=0.8,
                         label=split if (i, k) == (0, 0) else None)
                _errorbar(left, [x], [mean], [low], [high], fmt="none", color="black", capsize=3)
                issue = row.get(f"issue: {split} {metric}", np.nan)
                if pd.notna(issue):
                    left.plot(x, issue, "kx", ms=9, mew=2, label="fairlearn #460 (one run)" if not any(
                        r.get("issue drawn") for r in rows) else None)
                rows.append({"model": row.model, "metric": metric, "split": split, "mean": mean, "low": low,
                             "high": high, "issue": issue, "issue drawn": pd.notna(issue)})
    ticks = [i * 5 + k * 2.2 + 0.45 for i in range(len(table)) for k in range(2)]
    left.set_xticks(ticks, [f"{m.replace('decision tree (unrestricted)', 'tree')}\n{metric}"
                            for m in table.model for metric in ("DP difference", "accuracy")], fontsize=8)
    left.set(ylabel="value (mean over splits)", title=f"fairlearn #460 reproduced: unrestricted tree ± EG (DP), "
                                                      f"{int(table.n.min())} random splits "
                                                      f"({figure_text(splits_title)})")
    left.title.set_fontsize(9)
    left.legend(fontsize=8)
    if len(path):
        _errorbar(right, np.arange(len(path)), path.gap, path.gap_low, path.gap_high, fmt="o-", color="#2ca02c",
                  capsize=3)
        right.set_xticks(np.arange(len(path)), list(path.capacity), fontsize=8)
        right.axhline(0.02, color="grey", ls="--", lw=0.9, label="0.02: carries over below")
        right.axhline(0, color="black", lw=0.8)
        right.legend(fontsize=8)
    right.set(xlabel="tree depth", ylabel="DP difference gap, test − train",
              title=f"Decision tree + EG (DP) along its depth ({path_title})")
    right.title.set_fontsize(9)
    fig.tight_layout()
    drawn = pd.DataFrame(rows).drop(columns="issue drawn")
    path_rows = path.assign(metric="gap along depth")[["capacity", "gap", "gap_low", "gap_high", "metric"]].rename(
        columns={"capacity": "model", "gap": "mean", "gap_low": "low", "gap_high": "high"})
    return fig, pd.concat([drawn, path_rows], ignore_index=True)


def training_set_size(summary: pd.DataFrame, slopes: pd.DataFrame, disparity_label: str, source: str = "adult"):
    """F8c. Mean |test − train gap| against the number of training rows, log-log, per model, with 95%
    t-intervals over splits, the fitted slope, and a 1/√n reference through each model's first point."""
    set_style()
    fig, ax = plt.subplots(figsize=(7, 4.8))
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    for color, (model, part) in zip(colors, summary.groupby("model", sort=False)):
        part = part.sort_values("n_train")
        slope = slopes[slopes.model == model].slope.mean()
        low = np.clip(part.abs_gap_low.to_numpy(), 1e-4, None)
        _errorbar(ax, part.n_train, part.abs_gap, low, part.abs_gap_high, fmt="o-", color=color, capsize=3,
                  label=f"{model} (slope {slope:.2f})")
        n0, g0 = part.n_train.iloc[0], part.abs_gap.iloc[0]
        ax.plot(part.n_train, g0 * (part.n_train / n0) ** -0.5, color=color, ls=":", lw=1)
    ax.plot([], [], color="grey", ls=":", label="1/√n from the first point")
    ax.set_yscale("log")
    log_axis(ax, summary.n_train.unique())
    ax.set(xlabel="training rows (log scale)", ylabel=f"|test − train| {disparity_label} (log scale)",
           title=f"Fairness gap against training-set size, {figure_text(source)} ({int(summary.n.min())} random "
                 f"splits per size; 95% t-intervals)")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig, summary
