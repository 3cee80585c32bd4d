"""Penalties on the gap between groups' soft rates, computed on predicted probabilities.

With p = sigmoid(logit) on a mini-batch and "soft" rates (means of p instead of counts of
thresholded predictions):

    demographic_parity:       gap(E[p | G=g])
    equal_opportunity:        gap(E[p | Y=1, G=g])                           (soft TPR)
    equalized_odds_sum:       gap(E[p | Y=1, G=g]) + gap(E[p | Y=0, G=g])    (soft TPR + soft FPR gaps)
    equalized_odds_max:       max of the two gaps above                     (fairlearn's worst-case variant)

where gap(.) is the largest minus the smallest value over the groups present in the batch.
The loss is BCE + weight * penalty.
"""

from __future__ import annotations

import dataclasses

import torch

from .base import PenaltyObjective, check_range, group_means, max_gap, register


@dataclasses.dataclass(frozen=True)
class GapParams:
    """weight: the penalty's multiplier lambda (0 = ERM)."""

    weight: float = 1.0

    def __post_init__(self):
        check_range("gap penalty", weight=(self.weight, 0.0, float("inf")))


def soft_rate_gaps(prob: torch.Tensor, y: torch.Tensor, g: torch.Tensor, n_groups: int) -> dict[str, torch.Tensor]:
    everyone = torch.ones_like(y, dtype=torch.bool)
    gaps = {}
    for key, mask in (("selection", everyone), ("tpr", y == 1), ("fpr", y == 0)):
        gaps[key] = max_gap(*group_means(prob, g, mask, n_groups))
    return gaps


class _GapPenalty(PenaltyObjective):
    Params = GapParams

    def penalty(self, gaps: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def penalty_term(self, logits, y, g):
        return self.penalty(soft_rate_gaps(torch.sigmoid(logits), y, g, self.n_groups))


@register
class DemographicParityPenalty(_GapPenalty):
    name = "demographic_parity_penalty"
    targets = "demographic_parity_difference"

    def penalty(self, gaps):
        return gaps["selection"]


@register
class EqualOpportunityPenalty(_GapPenalty):
    name = "equal_opportunity_penalty"
    targets = "equal_opportunity_difference"

    def penalty(self, gaps):
        return gaps["tpr"]


@register
class EqualizedOddsSumPenalty(_GapPenalty):
    name = "equalized_odds_sum_penalty"
    targets = "equalized_odds_difference"

    def penalty(self, gaps):
        return gaps["tpr"] + gaps["fpr"]


@register
class EqualizedOddsMaxPenalty(_GapPenalty):
    name = "equalized_odds_max_penalty"
    targets = "equalized_odds_difference"

    def penalty(self, gaps):
        return torch.maximum(gaps["tpr"], gaps["fpr"])
