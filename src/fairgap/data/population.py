"""The population sample of a generated dataset: equal numbers of every (group, label) cell, weighted back.

A per-group TPR rests on that group's positives, an FPR on its negatives. Drawn in the generator's own
proportions, the rarest cell (darker and smiling: 11% of the default faces) sets the sample size: ±0.01
at 95% for every per-group rate would take about 88,000 faces. Drawn stratified, every cell gets the same
count, and 4 × 9,604 = 38,416 faces give every per-group TPR and FPR ±0.01 at any rate (1.96 · 0.5 /
√9,604 = 0.0100), at less than half the cost.

Each example carries a weight, its cell's share in the generator divided by its share in the sample,
so every weighted rate (accuracy, selection rate, base rate, loss, the overall AUC) is the generator's:
per-group TPR, FPR and AUC do not depend on the weights (constant within a cell), the rest do.

The examples are interleaved by cell (one of each cell, then the next of each), so the first k examples
of any cell are a random sample of it: the training loop scores the first 4,096 of every cell, then more
of only the cells whose rates are still wider than ±0.01, reweighting each cell by its share in the
generator over its share of what was scored (``fairgap.train.record_population``).

Cell shares are counted on the attribute draws (at least ``MIN_DRAWS`` of them: a share of 0.1 is
then known to ±0.0006, far inside the precision asked of the rates); only the selected examples are
rendered.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .base import Split

MIN_DRAWS = 1_000_000    # attribute draws behind the cell shares
MAX_DRAWS = 20_000_000   # a cell rarer than about 1 in 2,000 cannot fill a large quota: refuse
CHUNK = 100_000
TARGET_HALFWIDTH = 0.01  # the precision the default population size is chosen for (95%, any rate)


def cells_for_halfwidth(halfwidth: float = TARGET_HALFWIDTH, z: float = 1.959964) -> int:
    """Examples per cell for a rate's 95% half-width to be at most ``halfwidth`` at any rate (rate 0.5)."""
    return math.ceil((z * 0.5 / halfwidth) ** 2)


def stratified_population(size: int, n_groups: int, generate_attributes, render, rng: np.random.Generator,
                          render_batch: int = 2000) -> tuple[Split, dict]:
    """``size`` examples (rounded up to a multiple of the 2 × ``n_groups`` cells), as many of each
    (group, label) cell, interleaved by cell, with weights = cell share / (1 / number of cells): the
    weights of the whole sample (or of any prefix of whole rounds).

    ``generate_attributes(n, rng)`` draws the latent variables (with "group" and "label"),
    ``render(attrs, rng)`` the uint8 images of some of them.
    """
    cells = 2 * n_groups
    quota = math.ceil(size / cells)
    counts = np.zeros(cells, dtype=np.int64)
    chosen: list[list[dict]] = [[] for _ in range(cells)]
    filled = np.zeros(cells, dtype=np.int64)
    drawn = 0
    while drawn < MIN_DRAWS or (filled < quota).any():
        if drawn >= MAX_DRAWS:
            short = {int(c): int(filled[c]) for c in np.flatnonzero(filled < quota)}
            raise ValueError(f"The population needs {quota:,} examples of each (group, label) cell, but after "
                             f"{drawn:,} draws cells {short} (cell = 2·group + label) have fewer: they are too rare "
                             "in this generator's settings. Use a smaller population or less extreme base rates.")
        attrs = generate_attributes(CHUNK, rng)
        cell = 2 * attrs["group"] + attrs["label"]
        counts += np.bincount(cell, minlength=cells)
        for c in range(cells):
            need = quota - filled[c]
            if need > 0:
                index = np.flatnonzero(cell == c)[:need]
                chosen[c].append({k: v[index] for k, v in attrs.items()})
                filled[c] += len(index)
        drawn += CHUNK
    per_cell = [{k: np.concatenate([part[k] for part in parts]) for k in parts[0]} for parts in chosen]
    # interleave: example i of every cell, then i + 1
    order = np.arange(quota * cells).reshape(quota, cells)
    attrs = {k: np.empty((quota * cells, *per_cell[0][k].shape[1:]), dtype=per_cell[0][k].dtype) for k in per_cell[0]}
    for c in range(cells):
        for k in attrs:
            attrs[k][order[:, c]] = per_cell[c][k]
    shares = counts / counts.sum()
    weight = (shares * cells)[2 * attrs["group"] + attrs["label"]]
    chunks = [render({k: v[i:i + render_batch] for k, v in attrs.items()}, rng)
              for i in range(0, len(weight), render_batch)]
    split = Split(torch.from_numpy(np.concatenate(chunks)), torch.from_numpy(attrs["label"].astype(np.int64)),
                  torch.from_numpy(attrs["group"].astype(np.int64)), weight=torch.from_numpy(weight))
    info = {"per_cell": quota, "cells": "2 * group + label", "cell_shares": shares.tolist(), "draws": drawn}
    return split, info
