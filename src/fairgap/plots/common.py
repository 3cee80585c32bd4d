"""Shared look of every figure: seaborn theme, line styles per split, axis labels per metric."""

import seaborn as sns

SPLIT_DASHES = {"train": "", "val": (1, 1), "test": (4, 2)}
METRIC_LABELS = {
    "equalized_odds_difference": "equalized odds difference\n(worst case of TPR and FPR gaps)",
    "equal_opportunity_difference": "equal opportunity difference\n(TPR gap)",
    "demographic_parity_difference": "demographic parity difference\n(selection-rate gap)",
    "accuracy_difference": "accuracy difference",
    "accuracy": "accuracy",
}


def set_style():
    """Readable in print: paper context, white grid, slightly larger fonts."""
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.15)
