"""F2 (notebook 02): per method, the disparity it is judged on, accuracy per group, leveling down and collapse
against the constraint weight, mean and 95% Student-t interval over seeds (``fairgap.plots.sweep_figures``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ..claims.sweep_rules import targeted
from ..decomposition import with_floor_rows
from ..evidence import t_interval
from ..generalisation import POPULATION, held_out_name, held_out_split
from ..metrics import check_disparity
from ..studies.f2_strength import GAIN_MARGIN, leveling_down, operating_weight
from ..sweep import final_epoch
from .common import (METRIC_LABELS, SPLIT_DASHES, floor_line, log_axis, palette_for, seeds_note, set_style,
                     test_markers)
from .sweep_figures import bands


def collapse_panel(ax, collapsed: pd.DataFrame) -> pd.DataFrame:
    """Share of seeds whose final model is a constant predictor, per weight, each point labelled k/n."""
    share = collapsed.groupby("weight").value.agg(share="mean", k="sum", n="count").reset_index()
    ax.plot(share.weight, share.share, marker="s", color="black")
    for _, row in share.iterrows():
        ax.annotate(f"{int(row.k)}/{int(row.n)}", (row.weight, row.share), textcoords="offset points",
                    xytext=(0, 6), ha="center", fontsize=8)
    split = held_out_name(collapsed.split.iloc[0]) if len(collapsed) else "test"
    ax.set(title="collapsed to a constant predictor", ylabel=f"share of seeds ({split} split)", ylim=(-0.05, 1.15))
    return share


def constraint_strength(table: pd.DataFrame, disparity: str | None = None, floor: pd.DataFrame | None = None):
    """F2: per method (rows): the disparity it is judged on (``disparity`` None: the one it targets) on
    train and held-out data, accuracy per group, each group's change in held-out accuracy relative to ERM,
    and the share of seeds collapsed to a constant predictor, against the constraint weight (log axis).
    ``floor`` (``fairgap.decomposition.floor_or_none``; None on real data): the Bayes floor of each row's
    disparity as a dotted line in its disparity panel, and as rows (split "bayes floor") of the data.
    Returns (figure, data)."""
    if disparity is not None:
        check_disparity(disparity)
    set_style()
    final = final_epoch(table)
    held = held_out_split(final)
    splits = ["train", held]
    methods = [m for m in final.method.unique() if m != "erm"]
    erm = final[final.method == "erm"]
    drop = leveling_down(final)
    palette = palette_for(final[final.group != "all"].group)
    fig, axes = plt.subplots(len(methods), 4, figsize=(19, 4.0 * len(methods)), squeeze=False)
    frames = []
    for row, method in zip(axes, methods):
        metric = targeted(method, disparity)
        mine = final[final.method == method]
        disp = mine[(mine.metric == metric) & (mine.group == "all") & mine.split.isin(["train", "test", held])]
        sns.lineplot(data=disp[disp.split.isin(splits)], x="weight", y="value", style="split", dashes=SPLIT_DASHES,
                     marker="o", errorbar=t_interval, color="C0", ax=row[0])
        if held == POPULATION:
            test_markers(row[0], disp, "weight")
        for split, dash in zip(splits, ("-", "--")):
            level = erm[(erm.metric == metric) & (erm.group == "all") & (erm.split == split)].value.mean()
            row[0].axhline(level, color="grey", ls=dash, lw=1, label=f"ERM {split}")
        floor_line(row[0], floor, metric, note=False)  # named in the legend
        row[0].set(title=f"{method}: {METRIC_LABELS.get(metric, metric)}", ylabel=metric.replace("_", " "))
        row[0].legend(fontsize=8)

        acc = mine[(mine.metric == "accuracy") & (mine.group != "all") & mine.split.isin(["train", "test", held])]
        sns.lineplot(data=acc[acc.split.isin(splits)], x="weight", y="value", hue="group", style="split",
                     dashes=SPLIT_DASHES, marker="o", errorbar=t_interval, palette=palette, ax=row[1])
        if held == POPULATION:
            test_markers(row[1], acc, "weight", hue="group", palette=palette)
        row[1].set(title="accuracy per group", ylabel="accuracy", ylim=(None, 1.01))
        row[1].legend(fontsize=8)

        mine_drop = drop[drop.method == method]
        sns.lineplot(data=mine_drop, x="weight", y="change", hue="group", marker="o", errorbar=t_interval,
                     palette=palette, ax=row[2])
        row[2].axhline(0, color="black", lw=0.8)
        row[2].axhline(GAIN_MARGIN, color="black", lw=0.6, ls=":", label=f"+{GAIN_MARGIN}: the worse-off group's margin")
        operating, _ = operating_weight(table, method, metric)
        if operating is not None:  # where notebook 02's claims are tested
            for ax in row[:3]:
                ax.axvline(operating, color="grey", ls=":", lw=1.2, label="operating point (rule on train + validation)")
        row[2].legend(fontsize=8)
        row[2].set(title=f"leveling down: {held_out_name(held)} accuracy change vs ERM",
                   ylabel=f"Δ {held_out_name(held)} accuracy (same seed)")

        collapsed = mine[(mine.metric == "collapsed") & (mine.split == held)]
        collapse_panel(row[3], collapsed)
        for ax in row:
            log_axis(ax, mine.weight.unique())
            ax.set_xlabel("constraint weight λ (log scale)")
        frames += [disp, acc, mine_drop.assign(metric="accuracy_change_vs_erm", value=mine_drop.change), collapsed]
    n = final[final.metric == "accuracy"].groupby(["method", "weight"], dropna=False).seed.nunique()
    fig.suptitle("Disparity, accuracy per group, change vs ERM and collapse against the constraint weight "
                 f"(ERM: grey lines); {seeds_note(n)} per point,\n{bands(table)}", y=1.02)
    fig.tight_layout()
    data = pd.concat(frames, ignore_index=True).drop(columns=["change", "erm_accuracy"], errors="ignore")
    return fig, with_floor_rows(data, floor)
