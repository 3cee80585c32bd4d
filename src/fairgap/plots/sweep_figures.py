"""What the figures of the sweeps share (F2 of notebook 02, F3 of 03 and F4 of 04): final-epoch quantities
against a swept knob, mean and 95% Student-t interval over seeds. The held-out line is the population's where
the data are generated (else test's); there the test split's mean is drawn beside it as hollow markers.
``versus`` draws F3 and F4 (``fairgap.plots.f3_capacity``, ``f4_size``); ``bands`` says what a band covers."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ..claims.sweep_rules import per_run
from ..decomposition import with_floor_rows
from ..evidence import t_interval
from ..generalisation import POPULATION, held_out_name, held_out_split, variance_sources
from ..sweep import final_epoch
from ..metrics import check_disparity
from .common import (METRIC_LABELS, SPLIT_DASHES, TEST_MARKERS, floor_line, log_axis, palette_for, seeds_note,
                     set_style, test_markers)


def bands(table: pd.DataFrame) -> str:
    """What a figure's bands are and cover, and what its held-out line is."""
    held = held_out_split(table)
    line = (f"dashed: the population (generated data), {TEST_MARKERS}" if held == POPULATION
            else "dashed: the test split")
    return f"bands: 95% Student-t interval over seeds ({variance_sources(table)}); {line}"


def versus(table: pd.DataFrame, x: str, xlabel: str, disparity: str = "equalized_odds_difference", title: str = "",
           floor: pd.DataFrame | None = None):
    """F3/F4: accuracy and disparity on train and held-out data, and the held-out − train disparity gap,
    against ``x`` (the test split as hollow markers where the held-out line is the population's).
    ``floor`` (``fairgap.decomposition.floor_or_none``; None on real data): the Bayes floor of ``disparity``
    as a dotted line in the disparity panel, and as rows (split "bayes floor") of the data."""
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
    floor_line(axes[1], floor, disparity)
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
    return fig, with_floor_rows(data, floor)
