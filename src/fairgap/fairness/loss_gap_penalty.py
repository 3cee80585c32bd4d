"""Squared gap between the groups' losses: the L2-penalty baseline of FairALM.

Lokhande, Akash, Ravi, Singh, "FairALM: Augmented Lagrangian Method for Training Fair Models
with Little Regret", ECCV 2020, compare their method with this penalty. With L_g the mean
binary cross-entropy of the examples of group g in the mini-batch (restricted by ``condition``),

    loss = BCE + weight * sum over pairs g < h of present groups of (L_g - L_h)^2

Groups with no example (of the conditioned class) in the batch are left out of the sum, so the
penalty is 0, not NaN, when fewer than two groups are present. ``condition="positives"``
compares the losses on y = 1 only (the FairALM authors' equal-opportunity setting);
``"all"`` (default) equalises the groups' overall losses, a surrogate of equal accuracy.
"""

from __future__ import annotations

import dataclasses

import torch

from .base import (CONDITIONS, PenaltyObjective, check_choice, check_range, condition_mask, example_losses,
                   group_means, present_pairs, register)

# The disparity each condition targets (the nearest metric fairgap.metrics reports).
CONDITION_TARGETS = {"all": "accuracy_difference", "positives": "equal_opportunity_difference",
                     "negatives": "equalized_odds_difference"}


@dataclasses.dataclass(frozen=True)
class LossGapParams:
    """weight: multiplier of the squared loss gaps (0 = ERM); condition: which examples' losses are compared."""

    weight: float = 1.0
    condition: str = "all"

    def __post_init__(self):
        check_range("loss_gap_penalty", weight=(self.weight, 0.0, float("inf")))
        check_choice("loss_gap_penalty", condition=(self.condition, CONDITIONS))


def squared_loss_gaps(losses: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """Sum over pairs of present groups of the squared difference of their losses (0 if < 2 groups)."""
    total = losses.sum() * 0.0
    for a, b in present_pairs(present):
        total = total + (losses[a] - losses[b]) ** 2
    return total


@register
class LossGapPenalty(PenaltyObjective):
    """BCE + weight * sum_{g<h} (L_g - L_h)^2 over the groups present in the batch."""

    name = "loss_gap_penalty"
    Params = LossGapParams
    targets = CONDITION_TARGETS["all"]
    condition_targets = CONDITION_TARGETS

    def penalty_term(self, logits, y, g):
        per_example = example_losses(logits, y)
        losses, present = group_means(per_example, g, condition_mask(y, self.params.condition), self.n_groups)
        return squared_loss_gaps(losses, present)
