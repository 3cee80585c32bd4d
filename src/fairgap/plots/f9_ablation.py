"""F9 (notebook 09): per setting of the faces' group differences, ERM's and the penalty's held-out disparity beside the
setting's Bayes floor, their train–held-out gap, and what the penalty buys over ERM."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..claims.sweep_rules import constrained_labels, held_out_of
from ..evidence import t_interval
from ..generalisation import variance_sources
from ..metrics import check_disparity
from ..studies.f9_ablation import ablation_runs, benefit, settings_of
from .common import palette_for, seeds_note, set_style

SEED_DOTS = 5  # draw each seed as a dot when a point rests on at most this many
BARS_FROM = 4  # and its t-interval only from this many: with 3 seeds the band leaves the metric's range (DESIGN)


def _points(ax, frame: pd.DataFrame, settings: list[str], labels: list[str], palette: dict, width: float = 0.5) -> None:
    """Per setting (x) and label (dodged): the mean over seeds, the seeds as dots (up to ``SEED_DOTS``), and the
    95% t-interval as a bar from ``BARS_FROM`` seeds on."""
    offsets = np.linspace(-width / 2, width / 2, len(labels)) if len(labels) > 1 else np.zeros(1)
    rng = np.random.default_rng(0)  # the dots' horizontal jitter only
    for offset, label in zip(offsets, labels):
        for i, setting in enumerate(settings):
            values = frame[(frame.setting == setting) & (frame.label == label)].value.dropna().to_numpy()
            if not len(values):
                continue
            mean, (low, high) = values.mean(), t_interval(values)
            error = None if np.isnan(low) or len(values) < BARS_FROM else [[mean - low], [high - mean]]
            ax.errorbar([i + offset], [mean], yerr=error, fmt="o", ms=7, capsize=4, color=palette[label],
                        label=label if i == 0 else "_nolegend_", zorder=3)
            if len(values) <= SEED_DOTS:
                ax.scatter(i + offset + rng.uniform(-0.04, 0.04, len(values)), values, s=12, color=palette[label],
                           alpha=0.45, lw=0, zorder=2, label="_nolegend_")


def what_drives_the_gap(table: pd.DataFrame, floors: pd.DataFrame, disparity: str = "equalized_odds_difference"):
    """F9: three panels over the settings: held-out disparity of every method with the Bayes floor (black line), the
    train–held-out gap, and each constrained method's held-out benefit over ERM. Returns (figure, data)."""
    check_disparity(disparity)
    set_style()
    runs = ablation_runs(table, floors, disparity)
    held, name = held_out_of(table), disparity.replace("_", " ")
    settings, labels = settings_of(runs), list(dict.fromkeys(runs.label))
    constrained = constrained_labels(runs)
    palette = palette_for(labels)
    disparities = runs.assign(quantity=f"{held} {disparity}", value=runs.held_out)
    gaps = runs.assign(quantity=f"{disparity} gap ({held} − train)", value=runs.gap)
    benefits = pd.concat([benefit(runs, s, label).rename("value").reset_index().assign(setting=s, label=label)
                          for s in settings for label in constrained] or [pd.DataFrame(columns=["seed", "value"])],
                         ignore_index=True).assign(quantity=f"{held} benefit over ERM ({disparity})")
    fig, axes = plt.subplots(1, 3 if constrained else 2, figsize=(17 if constrained else 12, 4.6))
    _points(axes[0], disparities, settings, labels, palette)
    floor = [runs[runs.setting == s].floor.iloc[0] for s in settings]
    axes[0].hlines(floor, np.arange(len(settings)) - 0.38, np.arange(len(settings)) + 0.38, color="black", lw=2,
                   label="Bayes floor", zorder=1.5)
    axes[0].set(title=f"{held} {name}", ylabel=name)
    _points(axes[1], gaps, settings, labels, palette)
    axes[1].axhline(0, color="black", lw=0.8)
    axes[1].set(title=f"train–{held} gap ({held} − train)", ylabel=f"{name} gap")
    if constrained:
        _points(axes[2], benefits, settings, constrained, palette)
        axes[2].axhline(0, color="black", lw=0.8)
        axes[2].set(title=f"what the penalty buys: ERM's {held} disparity − its own", ylabel=f"{held} benefit over ERM")
    for ax in axes:
        ax.set_xticks(range(len(settings)), settings, rotation=25, ha="right", rotation_mode="anchor")
        ax.set_xlim(-0.6, len(settings) - 0.4)
        ax.set_xlabel("")
    handles, names = axes[0].get_legend_handles_labels()  # below the panels: inside, it hid the first floors
    fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize=9, bbox_to_anchor=(0.5, -0.08))
    n = runs.groupby(["setting", "label"]).seed.nunique()
    fig.suptitle("What drives the gap: each difference between the faces' groups equalised in turn; "
                 f"{seeds_note(n)} per point (large marker: their mean; dots: the seeds; from {BARS_FROM} seeds a bar: "
                 f"the 95% Student-t interval);\n{variance_sources(table)}; black line: the setting's "
                 "Bayes floor", y=1.06)
    fig.tight_layout()
    columns = ["setting", "label", "seed", "quantity", "value"]
    floor_rows = pd.DataFrame({"setting": settings, "label": "Bayes floor", "seed": np.nan,
                               "quantity": f"Bayes floor {disparity}", "value": floor})
    data = pd.concat([disparities[columns], gaps[columns], benefits[columns], floor_rows], ignore_index=True)
    return fig, data
