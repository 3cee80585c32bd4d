"""F3 (notebook 03): accuracy, disparity and the train-test disparity gap against model size (``versus``)."""

from __future__ import annotations

import pandas as pd

from .sweep_figures import versus


def model_capacity(table: pd.DataFrame, disparity: str = "equalized_odds_difference",
                   floor: pd.DataFrame | None = None):
    """F3: ``versus`` the trainable parameters of each width; ``floor``: the Bayes floor of the generator
    (``fairgap.decomposition.floor_or_none``; None on real data). Returns (figure, data)."""
    return versus(table, x="parameters", xlabel="trainable parameters (log scale)", disparity=disparity,
                  title="Train-test fairness gap against model size", floor=floor)
