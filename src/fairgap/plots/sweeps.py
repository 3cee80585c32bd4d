"""F2 (notebook 02), F3 (03) and F4 (04): final-epoch quantities against a swept knob, mean and 95% Student-t
interval over seeds. The held-out line is the population's where the data are generated (else test's); there
the test split's mean is drawn beside it as hollow markers."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ..claims.sweeps import GAIN_MARGIN, fairer_weight, leveling_down, per_run, targeted
from ..evidence import t_interval
from ..generalisation import POPULATION, held_out_name, held_out_split, variance_sources
from ..sweep import final_epoch
from ..metrics import check_disparity
from .common import METRIC_LABELS, SPLIT_DASHES, TEST_MARKERS, log_axis, palette_for, seeds_note, set_style, test_markers


def bands(table: pd.DataFrame) -> str:
    """What a figure's bands are and cover, and what its held-out line is."""
    held = held_out_split(table)
    line = (f"dashed: the population (generated data), {TEST_MARKERS}" if held == POPULATION
            else "dashed: the test split")
    return f"bands: 95% Student-t interval over seeds ({variance_sources(table)}); {line}"


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


def constraint_strength(table: pd.DataFrame, disparity: str | None = None):
    """F2: per method (rows): the disparity it is judged on (``disparity`` None: the one it targets) on
    train and held-out data, accuracy per group, each group's change in held-out accuracy relative to ERM,
    and the share of seeds collapsed to a constant predictor, against the constraint weight (log axis).
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
        fairer, _ = fairer_weight(table, method, metric)
        if fairer is not None:  # where notebook 02's leveling-down claims are tested
            row[2].axvline(fairer, color="grey", ls=":", lw=1.2, label="λ chosen on validation (first fairer than ERM)")
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
    return fig, data


def versus(table: pd.DataFrame, x: str, xlabel: str, disparity: str = "equalized_odds_difference", title: str = ""):
    """F3/F4: accuracy and disparity on train and held-out data, and the held-out − train disparity gap,
    against ``x`` (the test split as hollow markers where the held-out line is the population's)."""
    check_disparity(disparity)
    set_style()
    final = final_epoch(table)
    held = held_out_split(final)
    name = held_out_name(held)
    splits = ["train", "test", held]
    acc = final[(final.metric == "accuracy") & (final.group == "all") & final.split.isin(splits)]
    disp = final[(final.metric == disparity) & (final.group == "all") & final.split.isin(splits)]
    runs = per_run(table, disparity)
    gaps = pd.concat([runs.assign(split=held, value=runs.gap), runs.assign(split="test", value=runs.test - runs.train)])
    palette = palette_for(final.label)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, frame in ((axes[0], acc), (axes[1], disp)):
        sns.lineplot(data=frame[frame.split.isin(["train", held])], x=x, y="value", hue="label", style="split",
                     dashes=SPLIT_DASHES, marker="o", errorbar=t_interval, palette=palette, ax=ax,
                     legend=ax is axes[0])
    sns.lineplot(data=gaps[gaps.split == held], x=x, y="value", hue="label", marker="o", errorbar=t_interval,
                 palette=palette, ax=axes[2], legend=False)
    if held == POPULATION:
        for ax, frame in zip(axes, (acc, disp, gaps)):
            test_markers(ax, frame, x, hue="label", palette=palette)
    axes[0].set(title="accuracy", ylabel="accuracy", ylim=(None, 1.01))
    axes[1].set(title=METRIC_LABELS.get(disparity, disparity), ylabel=disparity.replace("_", " "))
    axes[2].axhline(0, color="black", lw=0.8)
    axes[2].set(title=f"train-{name} disparity gap ({name} − train)", ylabel=f"{disparity.replace('_', ' ')} gap")
    for ax in axes:
        log_axis(ax, final[x].unique())
        ax.set_xlabel(xlabel)
    axes[0].legend(fontsize=8)
    n = runs.groupby(["label", x], dropna=False).seed.nunique()
    fig.suptitle(f"{title + '; ' if title else ''}{seeds_note(n)} per point,\n{bands(table)}", y=1.05)
    fig.tight_layout()
    gap_rows = gaps.drop(columns=["train", "test", "held_out", "gap"], errors="ignore").assign(metric=f"{disparity}_gap")
    data = pd.concat([acc, disp, gap_rows], ignore_index=True)
    return fig, data
