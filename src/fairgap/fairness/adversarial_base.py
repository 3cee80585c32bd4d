"""The adversary shared by the adversarial methods: it predicts the group from the predictor's logit.

Following Zhang, Lemoine, Mitchell (AIES 2018), the adversary sees the predictor's output z
(the logit) and, for equalized odds, the true label y too:

    demographic_parity:  input [z]            (Z independent of the prediction)
    equalized_odds:      input [z, y, z * y]  (Z independent of the prediction given Y; the
                                               product lets even a logistic adversary use a
                                               different slope per class, as in Zhang et al.'s
                                               s * y, s * (1 - y) inputs)

``hidden = 0`` makes it a logistic regression, ``hidden > 0`` a one-hidden-layer ReLU MLP. With
two groups it has one output (binary cross-entropy on g), with more groups one per group
(softmax cross-entropy). It is created in ``setup()`` with its own Adam optimiser.

Defaults (alpha 0.3, Adam lr 0.01, 5 adversary steps per predictor step) come from the small
synthetic-faces runs of the tests: with alpha = 1 and a slow adversary (lr 1e-3, one step) the
predictor outruns the adversary and encodes the group the other way round, so the disparity
it targets grew (to 0.96 where ERM had 0.25).
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import nn

from .base import Objective, check_choice, check_range, descend, task_loss

CRITERIA = ("equalized_odds", "demographic_parity")
CRITERION_TARGETS = {"equalized_odds": "equalized_odds_difference",
                     "demographic_parity": "demographic_parity_difference"}


@dataclasses.dataclass(frozen=True)
class AdversarialParams:
    """alpha: weight of the adversary's loss in the predictor's update; adversary_lr: the adversary's
    Adam learning rate; adversary_steps: adversary updates per predictor update; hidden: adversary
    hidden units (0 = logistic regression); criterion: what the adversary is given (logit and label
    for equalized odds, logit only for demographic parity)."""

    alpha: float = 0.3
    adversary_lr: float = 1e-2
    adversary_steps: int = 5
    hidden: int = 0
    criterion: str = "equalized_odds"

    def __post_init__(self):
        check_range("adversarial", alpha=(self.alpha, 0.0, float("inf")),
                    adversary_lr=(self.adversary_lr, 1e-8, 10.0), adversary_steps=(self.adversary_steps, 1, 100),
                    hidden=(self.hidden, 0, 4096))
        check_choice("adversarial", criterion=(self.criterion, CRITERIA))
        for key in ("adversary_steps", "hidden"):
            if not isinstance(getattr(self, key), int):
                raise ValueError(f"adversarial: {key}={getattr(self, key)!r} must be a whole number.")


def build_adversary(n_inputs: int, n_groups: int, hidden: int) -> nn.Module:
    outputs = 1 if n_groups == 2 else n_groups
    if hidden == 0:
        return nn.Linear(n_inputs, outputs)
    return nn.Sequential(nn.Linear(n_inputs, hidden), nn.ReLU(), nn.Linear(hidden, outputs))


def adversary_inputs(logits: torch.Tensor, y: torch.Tensor, criterion: str) -> torch.Tensor:
    z = logits.float()[:, None]
    if criterion == "demographic_parity":
        return z
    label = y.float()[:, None]
    return torch.cat([z, label, z * label], dim=1)


class AdversarialObjective(Objective):
    """Common state of the adversarial methods: the adversary, its optimiser and its loss."""

    Params = AdversarialParams
    targets = CRITERION_TARGETS["equalized_odds"]

    def __init__(self, params, n_groups: int = 2):
        super().__init__(params, n_groups)
        self.targets = CRITERION_TARGETS[params.criterion]
        self.adversary: nn.Module | None = None
        self.adversary_optimizer: torch.optim.Optimizer | None = None

    def setup(self, model, device) -> None:
        n_inputs = 1 if self.params.criterion == "demographic_parity" else 3
        self.adversary = build_adversary(n_inputs, self.n_groups, self.params.hidden).to(device)
        self.adversary_optimizer = torch.optim.Adam(self.adversary.parameters(), lr=self.params.adversary_lr)

    def adversary_loss(self, logits: torch.Tensor, y: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """The adversary's cross-entropy at predicting g (which the adversary minimises)."""
        if self.adversary is None:
            raise RuntimeError(f"{self.name}: call setup(model, device) before training.")
        output = self.adversary(adversary_inputs(logits, y, self.params.criterion))
        if self.n_groups == 2:
            return F.binary_cross_entropy_with_logits(output.squeeze(-1), g.float())
        return F.cross_entropy(output, g)

    def loss(self, logits, y, g, features=None):
        """The predictor's task loss, with the adversary's current loss reported alongside (no update)."""
        base = task_loss(logits, y)
        return base, {"task_loss": base.item(), "adversary_loss": self.adversary_loss(logits, y, g).item()}

    def train_adversary(self, logits: torch.Tensor, y: torch.Tensor, g: torch.Tensor) -> None:
        """``adversary_steps`` updates of the adversary on this batch, the predictor's logits held fixed."""
        logits = logits.detach()
        for _ in range(self.params.adversary_steps):
            descend(self.adversary_optimizer, self.adversary_loss(logits, y, g))
