"""F4 (notebook 04): accuracy, disparity and the train-test disparity gap against training-set size (``versus``)."""

from __future__ import annotations

import pandas as pd

from .sweep_figures import versus


def training_set_size(table: pd.DataFrame, disparity: str = "equalized_odds_difference"):
    """F4: ``versus`` the number of training examples. Returns (figure, data)."""
    return versus(table, x="n_train", xlabel="training examples (log scale)", disparity=disparity,
                  title="Train-test fairness gap against training-set size")
