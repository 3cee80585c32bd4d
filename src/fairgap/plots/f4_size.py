"""F4 (notebook 04): accuracy, disparity and the train-test disparity gap against training-set size (``versus``)."""

from __future__ import annotations

import pandas as pd

from .sweep_figures import versus


def training_set_size(table: pd.DataFrame, disparity: str = "equalized_odds_difference",
                      floor: pd.DataFrame | None = None):
    """F4: ``versus`` the number of training examples; ``floor``: the Bayes floor of the generator
    (``fairgap.decomposition.floor_or_none``; None on real data). Returns (figure, data)."""
    return versus(table, x="n_train", xlabel="training examples (log scale)", disparity=disparity,
                  title="Train-test fairness gap against training-set size", floor=floor)
