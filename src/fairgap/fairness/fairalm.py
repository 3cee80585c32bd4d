"""FairALM: an augmented Lagrangian on the two groups' losses.

Lokhande, Akash, Ravi, Singh, "FairALM: Augmented Lagrangian Method for Training Fair Models
with Little Regret", ECCV 2020 (arXiv 2004.01355), Algorithm 2 ("FairALM: DeepNet Classifier").
With e the mean BCE of the batch and mu_0, mu_1 the mean BCE of group 0 and group 1 restricted
by ``condition`` (y == 1 by default: the paper's DEO / equal-opportunity constraint mu_0 = mu_1),
each mini-batch does, with multiplier lambda (lambda_0 = 0) and dual step size eta:

    primal:  one optimiser step on  e + (lambda + eta) * mu_0 - (lambda - eta) * mu_1
    dual:    lambda <- lambda + eta * (mu_0 - mu_1)

(the primal objective is the Lagrangian term lambda * (mu_0 - mu_1) plus the augmentation
eta * (mu_0 + mu_1), as Algorithm 2 writes it; the equality constraint mu_0 = mu_1 enters through
one multiplier).

Choices, documented because the paper leaves room:

* The dual step uses mu_0, mu_1 of the batch's forward pass, i.e. at the weights before the
  primal step. Algorithm 2 writes them at the updated weights w_t; the authors' released code
  uses the pre-step values (no extra forward pass), and so do we.
* ``inner_steps``: primal steps per batch before the dual step. Algorithm 2 has one (default);
  the authors' CelebA code uses 5, with the dual step on the last inner step's losses.
* The eta schedule: Algorithm 2 keeps eta fixed. The authors' released CelebA code (whose
  comment refers to Sec. 8.3 of the arXiv version, which we could not read) grows eta
  geometrically, eta <- eta * 1.01 at the start of every epoch (from eta = 20). Here ``eta`` is the first epoch's value and epoch k
  uses eta * eta_growth ** (k - 1); the default eta_growth = 1 is the fixed-eta algorithm.
  The growth needs the training loop to call ``start_epoch(epoch)``; if it never does, eta
  stays fixed and a warning says so.
* The authors' code parametrises the same idea with two multipliers and eta / 4 coefficients;
  we follow the paper's one-multiplier Algorithm 2. The default eta = 0.1 is far smaller than
  their 20: in Algorithm 2 eta also weights mu_0 + mu_1, which (with "positives") up-weights the
  positive class, and on the small synthetic-faces runs eta >= 0.3 collapsed the model to
  "everyone positive" on some seeds while eta = 0.1 did not.
* A batch in which either group has no example of the conditioned class skips the constraint
  terms and leaves lambda unchanged (no NaN).
* Two groups only (the paper's setting); more raise ValueError.

Flooding, when set, applies to the task loss e (the Lagrangian itself can be negative).
The history records the multiplier after each dual step ("multiplier") and eta ("eta").
"""

from __future__ import annotations

import dataclasses
import warnings


from .base import (CONDITIONS, Objective, check_choice, check_range, condition_mask, descend, example_losses,
                   group_means, register)
from .loss_gap_penalty import CONDITION_TARGETS


@dataclasses.dataclass(frozen=True)
class FairALMParams:
    """eta: dual step size (and augmentation weight); eta_growth: eta's factor per epoch (1 = fixed);
    condition: which examples' losses must be equal; inner_steps: primal steps per dual step."""

    eta: float = 0.1
    eta_growth: float = 1.0
    condition: str = "positives"
    inner_steps: int = 1

    def __post_init__(self):
        check_range("fairalm", eta=(self.eta, 0.0, float("inf")), eta_growth=(self.eta_growth, 1.0, 2.0),
                    inner_steps=(self.inner_steps, 1, 100))
        check_choice("fairalm", condition=(self.condition, CONDITIONS))
        if not isinstance(self.inner_steps, int):
            raise ValueError(f"fairalm: inner_steps={self.inner_steps!r} must be a whole number in [1, 100].")


def dual_update(multiplier: float, eta: float, loss_0: float, loss_1: float) -> float:
    """lambda <- lambda + eta * (mu_0 - mu_1)."""
    return multiplier + eta * (loss_0 - loss_1)


@register
class FairALM(Objective):
    """Augmented Lagrangian (Lokhande et al. 2020, Algorithm 2) for mu_0 = mu_1, two groups."""

    name = "fairalm"
    Params = FairALMParams
    targets = CONDITION_TARGETS["positives"]
    condition_targets = CONDITION_TARGETS
    max_groups = 2

    def __init__(self, params, n_groups: int = 2):
        if n_groups != self.max_groups:
            raise ValueError(f"fairalm constrains the losses of exactly two groups (the paper's setting); got "
                             f"{n_groups} groups. Use loss_gap_penalty, mindiff or group_dro for more groups.")
        super().__init__(params, n_groups)
        self.multiplier = 0.0
        self.eta = params.eta
        self._epoch_seen = False
        self._warned = False

    def start_epoch(self, epoch: int) -> None:
        self._epoch_seen = True
        self.eta = self.params.eta * self.params.eta_growth ** (epoch - 1)

    def group_losses(self, logits, y, g):
        """(e, (mu_0, mu_1) or None when a group has no conditioned example)."""
        per_example = example_losses(logits, y)
        losses, present = group_means(per_example, g, condition_mask(y, self.params.condition), 2)
        return per_example.mean(), (losses if bool(present.all()) else None)

    def primal(self, logits, y, g):
        """(primal objective at the current multiplier, its parts, (mu_0, mu_1) or None)."""
        base, losses = self.group_losses(logits, y, g)
        total = self.flood(base)
        gap = 0.0
        if losses is not None:
            total = total + (self.multiplier + self.eta) * losses[0] - (self.multiplier - self.eta) * losses[1]
            gap = (losses[0] - losses[1]).item()
        return total, {"task_loss": base.item(), "loss_gap": gap}, losses

    def loss(self, logits, y, g, features=None):
        """The primal objective at the current multiplier (task loss flooded if a flood level is set)."""
        total, parts, _ = self.primal(logits, y, g)
        return total, parts

    def train_step(self, model, optimizer, x, y, g) -> dict[str, float]:
        if self.params.eta_growth != 1.0 and not self._epoch_seen and not self._warned:
            warnings.warn("fairalm: eta_growth is set but the training loop never called start_epoch(); "
                          "eta stays fixed.", stacklevel=2)
            self._warned = True
        for _ in range(self.params.inner_steps):
            total, parts, losses = self.primal(model(x), y, g)
            descend(optimizer, total)
        if losses is not None:
            self.multiplier = dual_update(self.multiplier, self.eta, losses[0].item(), losses[1].item())
        return {**parts, "multiplier": self.multiplier, "eta": self.eta}
