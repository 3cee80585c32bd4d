"""F6 (notebook 06): per-group AUC and the TPR gap, train vs test; each group's change in test AUC vs ERM."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..decomposition import FLOOR_LABEL, with_floor_rows
from ..evidence import t_interval
from ..generalisation import held_out_split, variance_sources
from .common import FLOOR_STYLE, floor_line, seeds_note, set_style

SPLIT_COLORS = {"train": "#9ecae1", "test": "#4292c6", "population": "#08306b"}


def _group_palette(groups) -> dict:
    colors = sns.color_palette("colorblind", n_colors=max(3, len(groups)))
    return {g: colors[i] for i, g in enumerate(groups)}


def medical_diagnosis(table: pd.DataFrame, changes: pd.DataFrame | None = None, reference: str = "ERM",
                      threshold_note: str = "threshold chosen on validation", floor: pd.DataFrame | None = None):
    """F6, four panels: AUC per group on train; AUC per group on the held-out patients (the population
    where the runs have one, else test); the TPR gap at each run's validation-chosen threshold on train,
    test and the population; each group's held-out AUC minus the reference's (ERM), with two 95%
    intervals: over seeds (black) and over held-out patients (grey).

    ``table`` is ``fairgap.studies.f6_medical.score_table``'s output, ``changes``
    ``fairgap.studies.f6_medical.consequences``'s. ``floor`` (``fairgap.decomposition.floor_or_none``; None
    on real data): the TPR gap (equal opportunity difference) of the Bayes-optimal classifier of the
    generator, a dotted line in the TPR gap panel and rows (split "bayes floor", panel "Bayes floor
    (generator)") of the data; it uses the Bayes rule's own threshold, not the validation-chosen one.
    Bars are means over seeds, whiskers 95% Student-t intervals over seeds (zero width with one
    seed); the title states n.
    Returns (figure, the tidy table it draws, with a ``panel`` column).
    """
    set_style()
    methods = list(dict.fromkeys(table.method))
    groups = [g for g in dict.fromkeys(table.group) if g != "all"]
    palette = _group_palette(groups)
    held = held_out_split(table)
    splits = list(dict.fromkeys(("train", "test", held)))
    fig, axes = plt.subplots(1, 4, figsize=(4.6 * 4, 4.8), gridspec_kw={"width_ratios": [1, 1, 1, 1]})
    drawn = []

    auc = table[(table.metric == "auc") & table.group.isin(groups)]
    low = min(0.5, float(np.nanmin(auc.value)) - 0.02) if len(auc) else 0.5
    for ax, split in zip(axes[:2], ("train", held)):
        part = auc[auc.split == split]
        drawn.append(part.assign(panel=f"AUC per group, {split}"))
        sns.barplot(data=part, x="method", y="value", hue="group", order=methods, hue_order=groups, palette=palette,
                    errorbar=t_interval, ax=ax, legend=False)
        ax.set_ylim(low, 1.0)
        ax.set_title(f"AUC per group, {split}")
        ax.set_ylabel("ROC AUC (1 = perfect ranking)")

    gap = table[(table.metric == "equal_opportunity_difference") & table.split.isin(splits)]
    drawn.append(gap.assign(panel="TPR gap"))
    sns.barplot(data=gap, x="method", y="value", hue="split", order=methods, hue_order=splits,
                palette=SPLIT_COLORS, errorbar=t_interval, ax=axes[2], legend=False)
    axes[2].set_title(f"TPR gap between groups\n({threshold_note})")
    axes[2].set_ylabel("equal opportunity difference\n(largest minus smallest group TPR)")
    axes[2].set_ylim(bottom=0)
    floored = floor_line(axes[2], floor, "equal_opportunity_difference", note=False) is not None  # in the legend

    ax = axes[3]
    changes = changes if changes is not None else pd.DataFrame(columns=["method", "group", "metric", "change"])
    delta = changes[changes.metric == "AUC"]
    if len(delta):
        others = [m for m in methods if m in set(delta.method)]
        drawn.append(delta.assign(panel=f"{held} AUC change vs {reference}")
                     .rename(columns={"value": "method_value", "change": "value"}))
        width = 0.8 / len(groups)
        for i, g in enumerate(groups):
            rows = delta[delta.group == g].set_index("method").reindex(others)
            x = np.arange(len(others)) - 0.4 + width * (i + 0.5)
            ax.bar(x, rows.change, width=width, color=palette[g])
            for (low, high), offset, colour in ((("seed_low", "seed_high"), -width / 6, "black"),
                                                (("low", "high"), width / 6, "grey")):
                err = np.vstack([rows.change - rows[low], rows[high] - rows.change]).clip(min=0)
                ax.errorbar(x + offset, rows.change, yerr=err, fmt="none", ecolor=colour, elinewidth=1, capsize=3)
        ax.set_xticks(np.arange(len(others)), others)
        ax.axhline(0, color="black", linewidth=0.8)
    else:
        ax.text(0.5, 0.5, f"no {reference!r} run to compare with", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(f"Unintended consequences:\neach group's {held} AUC minus {reference}'s")
    ax.set_ylabel(f"change in {held} AUC (paired)\n95% interval: black over seeds, grey over {held} patients")

    for ax in axes:
        ax.set_xlabel("")
        ax.tick_params(axis="x", labelrotation=30)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    handles = [Patch(color=palette[g], label=f"group: {g}") for g in groups]
    handles += [Patch(color=SPLIT_COLORS[s], label=f"TPR gap, {s}") for s in splits]
    if floored:
        handles.append(Line2D([], [], label=FLOOR_LABEL, **{k: v for k, v in FLOOR_STYLE.items() if k != "zorder"}))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, bbox_to_anchor=(0.5, -0.04))
    n = seeds_note(table.groupby("method").seed.nunique())
    fig.suptitle(f"F6: per-group AUC and TPR gap on the training and the {held} patients\n"
                 f"mean and 95% Student-t interval over seeds; {variance_sources(table)} ({n})", y=1.04)
    fig.tight_layout(rect=(0, 0.06, 1, 1), w_pad=2.5)
    data = pd.concat(drawn, ignore_index=True) if drawn else pd.DataFrame()
    return fig, with_floor_rows(data, floor, panel=FLOOR_LABEL)


def xray_examples(dataset, split: str = "train", per_cell: int = 6, seed: int = 0):
    """A grid of images: one row per (group, label) cell, ``per_cell`` random images each.

    Returns (figure, table of the images shown: split, index, group, label).
    """
    set_style()
    part = dataset[split]
    rng = np.random.default_rng(seed)
    cells = [(g, y) for g in range(len(dataset.group_labels)) for y in (0, 1)]
    fig, axes = plt.subplots(len(cells), per_cell, figsize=(1.25 * per_cell, 1.35 * len(cells)), squeeze=False)
    rows = []
    for r, (g, y) in enumerate(cells):
        members = np.flatnonzero((part.group.numpy() == g) & (part.target.numpy() == y))
        chosen = rng.choice(members, size=min(per_cell, len(members)), replace=False) if len(members) else []
        for c in range(per_cell):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(chosen):
                image = part.images[chosen[c]].numpy()
                ax.imshow(image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0), cmap="gray", vmin=0, vmax=255)
                rows.append({"split": split, "index": int(chosen[c]), "group": dataset.group_labels[g],
                             dataset.target_name: y})
            else:
                ax.axis("off")
        axes[r, 0].set_ylabel(f"{dataset.group_labels[g]}\n{dataset.target_name}={y}", fontsize="small")
    fig.suptitle(f"{dataset.name}: {split} images by {dataset.group_name} and recorded label", y=1.0)
    fig.tight_layout()
    return fig, pd.DataFrame(rows)
