"""F2 (notebook 02), F3 (03) and F4 (04): final-epoch quantities against a swept knob, mean and 95% Student-t interval over seeds."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ..claims.sweeps import GAIN_MARGIN, fairer_weight, leveling_down
from ..evidence import t_interval
from ..sweep import final_epoch, train_test_gap
from ..metrics import check_disparity
from .common import METRIC_LABELS, SPLIT_DASHES, log_axis, seeds_note, set_style

BANDS = "bands: 95% Student-t interval over seeds (seeds vary initialisation and batch order; the data are fixed)"


def collapse_panel(ax, collapsed: pd.DataFrame) -> pd.DataFrame:
    """Share of seeds whose final model is a constant predictor, per weight, each point labelled k/n."""
    share = collapsed.groupby("weight").value.agg(share="mean", k="sum", n="count").reset_index()
    ax.plot(share.weight, share.share, marker="s", color="black")
    for _, row in share.iterrows():
        ax.annotate(f"{int(row.k)}/{int(row.n)}", (row.weight, row.share), textcoords="offset points",
                    xytext=(0, 6), ha="center", fontsize=8)
    ax.set(title="collapsed to a constant predictor", ylabel="share of seeds (test split)", ylim=(-0.05, 1.15))
    return share


def constraint_strength(table: pd.DataFrame, disparity: str = "equalized_odds_difference"):
    """F2: per method (rows): disparity on train and test, accuracy per group, each group's change in
    test accuracy relative to ERM, and the share of seeds collapsed to a constant predictor, against
    the constraint weight (log axis). Returns (figure, data)."""
    check_disparity(disparity)
    set_style()
    final = final_epoch(table)
    methods = [m for m in final.method.unique() if m != "erm"]
    erm = final[final.method == "erm"]
    drop = leveling_down(final)
    fig, axes = plt.subplots(len(methods), 4, figsize=(19, 4.0 * len(methods)), squeeze=False)
    frames = []
    for row, method in zip(axes, methods):
        mine = final[final.method == method]
        disp = mine[(mine.metric == disparity) & (mine.group == "all") & mine.split.isin(["train", "test"])]
        sns.lineplot(data=disp, x="weight", y="value", style="split", dashes=SPLIT_DASHES, marker="o",
                     errorbar=t_interval, color="C0", ax=row[0])
        for split, dash in (("train", "-"), ("test", "--")):
            level = erm[(erm.metric == disparity) & (erm.group == "all") & (erm.split == split)].value.mean()
            row[0].axhline(level, color="grey", ls=dash, lw=1, label=f"ERM {split}")
        row[0].set(title=f"{method}: {METRIC_LABELS.get(disparity, disparity)}", ylabel=disparity.replace("_", " "))
        row[0].legend(fontsize=8)

        acc = mine[(mine.metric == "accuracy") & (mine.group != "all") & mine.split.isin(["train", "test"])]
        sns.lineplot(data=acc, x="weight", y="value", hue="group", style="split", dashes=SPLIT_DASHES, marker="o",
                     errorbar=t_interval, ax=row[1])
        row[1].set(title="accuracy per group", ylabel="accuracy", ylim=(None, 1.01))

        mine_drop = drop[drop.method == method]
        sns.lineplot(data=mine_drop, x="weight", y="change", hue="group", marker="o", errorbar=t_interval, ax=row[2])
        row[2].axhline(0, color="black", lw=0.8)
        row[2].axhline(GAIN_MARGIN, color="black", lw=0.6, ls=":", label=f"+{GAIN_MARGIN}: the worse-off group's margin")
        fairer, _ = fairer_weight(table, method, disparity)
        if fairer is not None:  # where notebook 02's leveling-down claims are tested
            row[2].axvline(fairer, color="grey", ls=":", lw=1.2, label="λ chosen on validation (first fairer than ERM)")
        row[2].legend(fontsize=8)
        row[2].set(title="leveling down: test accuracy change vs ERM", ylabel="Δ test accuracy (same seed)")

        collapsed = mine[(mine.metric == "collapsed") & (mine.split == "test")]
        collapse_panel(row[3], collapsed)
        for ax in row:
            log_axis(ax, mine.weight.unique())
            ax.set_xlabel("constraint weight λ (log scale)")
        frames += [disp, acc, mine_drop.assign(metric="accuracy_change_vs_erm", value=mine_drop.change), collapsed]
    n = final[final.metric == disparity].groupby(["method", "weight"], dropna=False).seed.nunique()
    fig.suptitle("Disparity, accuracy per group, change vs ERM and collapse against the constraint weight "
                 f"(ERM: grey lines); {seeds_note(n)} per point, {BANDS}", y=1.0)
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
                 errorbar=t_interval, ax=axes[0])
    axes[0].set(title="accuracy", ylabel="accuracy", ylim=(None, 1.01))
    sns.lineplot(data=disp, x=x, y="value", hue="label", style="split", dashes=SPLIT_DASHES, marker="o",
                 errorbar=t_interval, ax=axes[1], legend=False)
    axes[1].set(title=METRIC_LABELS.get(disparity, disparity), ylabel=disparity.replace("_", " "))
    sns.lineplot(data=gap, x=x, y="gap", hue="label", marker="o", errorbar=t_interval, ax=axes[2], legend=False)
    axes[2].axhline(0, color="black", lw=0.8)
    axes[2].set(title="train-test disparity gap (test − train)", ylabel=f"{disparity.replace('_', ' ')} gap")
    for ax in axes:
        log_axis(ax, final[x].unique())
        ax.set_xlabel(xlabel)
    axes[0].legend(fontsize=8)
    n = gap.groupby(["label", x], dropna=False).seed.nunique()
    fig.suptitle(f"{title + '; ' if title else ''}{seeds_note(n)} per point, {BANDS}", y=1.02)
    fig.tight_layout()
    data = pd.concat([acc, disp, gap.melt(id_vars=[c for c in gap.columns if c not in ("train", "test", "gap")],
                                          value_vars=["gap"], var_name="split").assign(metric=f"{disparity}_gap")],
                     ignore_index=True)
    return fig, data
