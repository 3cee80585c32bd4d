"""The margin loss and its fairness-promoting variants behind one registry, the shape of ``fairgap.fairness``:
``make_objective(config, n_groups, device)`` returns the object a verification run trains with.

* ``none``: the margin loss alone.
* ``loss_gap``: + weight x (largest minus smallest mean identity loss over the groups in the batch).
* ``adversarial``: an adversary predicts the sensitive group from the embedding; a gradient reversal
  layer (strength = weight) makes the embedding network remove what the adversary uses.
* ``group_margin``: the examples of group ``margin_group`` get margin + weight (a larger margin for the
  group that is harder to verify).

Every variant is off during the warm-up epochs (``active`` False); the adversary still learns then.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .losses import GroupAdversary


class MarginLoss:
    """``none``: the margin loss alone. Subclasses change the margin, the loss, or both."""

    name = "none"

    def __init__(self, config, n_groups: int, device):
        self.config = config

    def parameters(self) -> list[torch.nn.Parameter]:
        """Parameters the run's optimizer trains beside the network and the margin head."""
        return []

    def margin(self, group: torch.Tensor, active: bool):
        """Per-example margins for the batch, or None for the head's own margin."""
        return None

    def loss(self, identity_loss, gap, embedding, group, active: bool, record) -> torch.Tensor:
        """The batch's training loss from its mean identity loss and group loss gap; ``record(group, metric,
        value, count)`` adds a per-epoch diagnostic."""
        return identity_loss


class LossGap(MarginLoss):
    name = "loss_gap"

    def loss(self, identity_loss, gap, embedding, group, active, record):
        return identity_loss + self.config.weight * gap if active else identity_loss


class AdversarialEmbedding(MarginLoss):
    name = "adversarial"

    def __init__(self, config, n_groups, device):
        super().__init__(config, n_groups, device)
        self.adversary = GroupAdversary(config.embedding_dim, n_groups, config.adversary_hidden).to(device)

    def parameters(self):
        return list(self.adversary.parameters())

    def loss(self, identity_loss, gap, embedding, group, active, record):
        logits = self.adversary(embedding, self.config.weight if active else 0.0)
        adversary_loss = F.cross_entropy(logits, group)
        record("all", "adversary_loss", float(adversary_loss.detach()), len(group))
        record("all", "adversary_accuracy", float((logits.argmax(1) == group).float().mean()), len(group))
        return identity_loss + adversary_loss


class GroupMargin(MarginLoss):
    name = "group_margin"

    def margin(self, group, active):
        if not active:
            return None
        return self.config.margin + self.config.weight * (group == self.config.margin_group).float()


REGISTRY: dict[str, type[MarginLoss]] = {cls.name: cls for cls in (MarginLoss, LossGap, AdversarialEmbedding, GroupMargin)}
METHODS = tuple(REGISTRY)


def make_objective(config, n_groups: int, device) -> MarginLoss:
    """The objective of ``config.method`` (validated by ``VerificationConfig.validate``)."""
    if config.method not in REGISTRY:
        raise ValueError(f"Unknown verification method {config.method!r}. Valid methods: {', '.join(METHODS)}.")
    return REGISTRY[config.method](config, n_groups, device)
