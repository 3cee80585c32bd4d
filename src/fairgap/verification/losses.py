"""Margin-based identity losses (ArcFace, CosFace) and the pieces of the fairness-promoting variants.

Both losses classify an L2-normalised embedding x among the training identities with a
cosine classifier: class weights w_j are L2-normalised too, so the logit of identity j is
s * cos(theta_j), with cos(theta_j) = <x, w_j> / (|x| |w_j|) and a scale s. A margin m makes
the target class harder to win during training, which pulls the images of one identity
together and pushes identities apart:

* CosFace (Wang et al., 2018, "large margin cosine loss"): target logit s * (cos(theta_y) - m).
* ArcFace (Deng et al., 2019, "additive angular margin"):  target logit s * cos(theta_y + m),
  for theta_y + m <= pi; beyond, the usual monotone continuation cos(theta_y) - m sin(m)
  keeps the logit decreasing in theta_y (as insightface does).

The margin may be one number or one per example: group-specific margins give the examples of
one sensitive group a larger margin (a fairness-promoting variant).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

LOSSES = ("arcface", "cosface")


def margin_logits(cosine: torch.Tensor, labels: torch.Tensor, kind: str, scale: float,
                  margin: float | torch.Tensor) -> torch.Tensor:
    """Scaled logits [N, C] from cosines [N, C], with the margin applied to each row's label."""
    if kind not in LOSSES:
        raise ValueError(f"Unknown identity loss {kind!r}. Valid losses: {', '.join(LOSSES)}.")
    margin = torch.as_tensor(margin, dtype=cosine.dtype, device=cosine.device).expand(len(cosine))
    target = cosine.gather(1, labels[:, None]).squeeze(1)
    if kind == "cosface":
        adjusted = target - margin
    else:
        clamped = target.clamp(-1 + 1e-7, 1 - 1e-7)
        sin = torch.sqrt(1 - clamped ** 2)
        with_margin = clamped * torch.cos(margin) - sin * torch.sin(margin)  # cos(theta + m)
        # Past theta + m = pi, cos(theta + m) would rise again; continue linearly instead.
        adjusted = torch.where(clamped > torch.cos(math.pi - margin), with_margin, clamped - margin * torch.sin(margin))
    logits = cosine.scatter(1, labels[:, None], adjusted[:, None])
    return scale * logits


class MarginHead(nn.Module):
    """Normalised class weights of the training identities; returns per-example losses."""

    def __init__(self, embedding_dim: int, n_classes: int, kind: str = "arcface", scale: float = 30.0,
                 margin: float = 0.5):
        super().__init__()
        if kind not in LOSSES:
            raise ValueError(f"Unknown identity loss {kind!r}. Valid losses: {', '.join(LOSSES)}.")
        self.kind, self.scale, self.margin = kind, float(scale), float(margin)
        self.weight = nn.Parameter(torch.empty(n_classes, embedding_dim))
        nn.init.xavier_uniform_(self.weight)

    def cosine(self, embedding: torch.Tensor) -> torch.Tensor:
        return F.linear(F.normalize(embedding, dim=1), F.normalize(self.weight, dim=1))

    def forward(self, embedding: torch.Tensor, labels: torch.Tensor,
                margin: float | torch.Tensor | None = None) -> torch.Tensor:
        """Cross-entropy of the margin logits, one value per example (reduction is the caller's)."""
        cosine = self.cosine(embedding)
        logits = margin_logits(cosine, labels, self.kind, self.scale, self.margin if margin is None else margin)
        return F.cross_entropy(logits, labels, reduction="none")


def group_loss_gap(losses: torch.Tensor, group: torch.Tensor, n_groups: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(largest minus smallest mean loss over the groups present in the batch, the group means; NaN if absent)."""
    means = torch.full((n_groups,), float("nan"), device=losses.device, dtype=losses.dtype)
    present = []
    for g in range(n_groups):
        mask = group == g
        if mask.any():
            means[g] = losses[mask].mean()
            present.append(losses[mask].mean())
    if len(present) < 2:
        return losses.new_zeros(()), means
    stacked = torch.stack(present)
    return stacked.max() - stacked.min(), means


class _GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, strength):
        ctx.strength = strength
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.strength * grad, None


def gradient_reversal(x: torch.Tensor, strength: float = 1.0) -> torch.Tensor:
    """Identity forward; multiplies the gradient by -strength backward (Ganin & Lempitsky, 2015)."""
    return _GradientReversal.apply(x, float(strength))


class GroupAdversary(nn.Module):
    """A small MLP that predicts the sensitive group from an embedding (through gradient reversal)."""

    def __init__(self, embedding_dim: int, n_groups: int, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(embedding_dim, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, n_groups))

    def forward(self, embedding: torch.Tensor, strength: float) -> torch.Tensor:
        return self.net(gradient_reversal(embedding, strength))
