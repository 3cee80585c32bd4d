"""F2 (notebook 02), F3 (03) and F4 (04): final-epoch quantities against a swept knob, mean and 95% percentile-bootstrap interval over seeds."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..evidence import bootstrap_interval
from ..sweep import final_epoch, train_test_gap
from ..metrics import check_disparity
from .common import METRIC_LABELS, SPLIT_DASHES, log_axis, set_style


def leveling_down(final: pd.DataFrame) -> pd.DataFrame:
    """Each group's test accuracy minus ERM's at the same seed, for every constrained run."""
    acc = final[(final.metric == "accuracy") & (final.split == "test") & (final.group != "all")]
    erm = acc[acc.method == "erm"].set_index(["seed", "group"]).value.rename("erm_accuracy")
    out = acc[acc.method != "erm"].join(erm, on=["seed", "group"])
    return out.assign(change=out.value - out.erm_accuracy)


def constraint_strength(table: pd.DataFrame, disparity: str = "equalized_odds_difference"):
    """F2: per method (rows): disparity on train and test, accuracy per group, and each group's
    change in test accuracy relative to ERM, against the constraint weight (log axis)."""
    check_disparity(disparity)
    set_style()
    final = final_epoch(table)
    methods = [m for m in final.method.unique() if m != "erm"]
    erm = final[final.method == "erm"]
    drop = leveling_down(final)
    fig, axes = plt.subplots(len(methods), 3, figsize=(15, 4.0 * len(methods)), squeeze=False)
    frames = []
    for row, method in zip(axes, methods):
        mine = final[final.method == method]
        disp = mine[(mine.metric == disparity) & (mine.group == "all") & mine.split.isin(["train", "test"])]
        sns.lineplot(data=disp, x="weight", y="value", style="split", dashes=SPLIT_DASHES, marker="o",
                     errorbar=bootstrap_interval, color="C0", ax=row[0])
        for split, dash in (("train", "-"), ("test", "--")):
            level = erm[(erm.metric == disparity) & (erm.group == "all") & (erm.split == split)].value.mean()
            row[0].axhline(level, color="grey", ls=dash, lw=1, label=f"ERM {split}")
        row[0].set(title=f"{method}: {METRIC_LABELS.get(disparity, disparity)}", ylabel=disparity.replace("_", " "))
        row[0].legend(fontsize=8)

        acc = mine[(mine.metric == "accuracy") & (mine.group != "all") & mine.split.isin(["train", "test"])]
        sns.lineplot(data=acc, x="weight", y="value", hue="group", style="split", dashes=SPLIT_DASHES, marker="o",
                     errorbar=bootstrap_interval, ax=row[1])
        row[1].set(title="accuracy per group", ylabel="accuracy", ylim=(None, 1.01))

        mine_drop = drop[drop.method == method]
        sns.lineplot(data=mine_drop, x="weight", y="change", hue="group", marker="o", errorbar=bootstrap_interval, ax=row[2])
        row[2].axhline(0, color="black", lw=0.8)
        row[2].set(title="leveling down: test accuracy change vs ERM", ylabel="Δ test accuracy (same seed)")
        for ax in row:
            log_axis(ax, mine.weight.unique())
            ax.set_xlabel("constraint weight λ (log scale)")
        frames += [disp, acc, mine_drop.assign(metric="accuracy_change_vs_erm", value=mine_drop.change)]
    fig.suptitle("Stronger constraints buy train fairness, little test fairness, and cost accuracy", y=1.0)
    fig.tight_layout()
    data = pd.concat(frames, ignore_index=True).drop(columns=["change", "erm_accuracy"], errors="ignore")
    return fig, data


def versus(table: pd.DataFrame, x: str, xlabel: str, disparity: str = "equalized_odds_difference", title: str = ""):
    """F3/F4: accuracy and disparity on train and test, and the train-test disparity gap, against ``x``."""
    check_disparity(disparity)
    set_style()
    final = final_epoch(table)
    acc = final[(final.metric == "accuracy") & (final.group == "all") & final.split.isin(["train", "test"])]
    disp = final[(final.metric == disparity) & (final.group == "all") & final.split.isin(["train", "test"])]
    gap = train_test_gap(table, disparity)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    sns.lineplot(data=acc, x=x, y="value", hue="label", style="split", dashes=SPLIT_DASHES, marker="o",
                 errorbar=bootstrap_interval, ax=axes[0])
    axes[0].set(title="accuracy", ylabel="accuracy", ylim=(None, 1.01))
    sns.lineplot(data=disp, x=x, y="value", hue="label", style="split", dashes=SPLIT_DASHES, marker="o",
                 errorbar=bootstrap_interval, ax=axes[1], legend=False)
    axes[1].set(title=METRIC_LABELS.get(disparity, disparity), ylabel=disparity.replace("_", " "))
    sns.lineplot(data=gap, x=x, y="gap", hue="label", marker="o", errorbar=bootstrap_interval, ax=axes[2], legend=False)
    axes[2].axhline(0, color="black", lw=0.8)
    axes[2].set(title="train-test disparity gap (test − train)", ylabel=f"{disparity.replace('_', ' ')} gap")
    for ax in axes:
        log_axis(ax, final[x].unique())
        ax.set_xlabel(xlabel)
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title, y=1.02)
    fig.tight_layout()
    data = pd.concat([acc, disp, gap.melt(id_vars=[c for c in gap.columns if c not in ("train", "test", "gap")],
                                          value_vars=["gap"], var_name="split").assign(metric=f"{disparity}_gap")],
                     ignore_index=True)
    return fig, data
