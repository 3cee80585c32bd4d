"""Adversarial debiasing by gradient reversal (the simpler variant of Zhang et al. 2018).

Ganin & Lempitsky's gradient reversal (ICML 2015) applied to the fairness adversary of Zhang,
Lemoine, Mitchell (AIES 2018): the adversary (see ``adversarial_base.py``) minimises its loss L_A at
predicting g from the predictor's logit (and the label, for equalized odds), while the predictor
minimises

    L - alpha * L_A

i.e. it descends the task loss and ascends the adversary's loss, with no projection. L is the
task BCE (flooded when a flood level is set). On every batch the predictor takes one step, then
the adversary ``adversary_steps`` steps with the batch's logits held fixed.
"""

from __future__ import annotations

from .adversarial_base import AdversarialObjective
from .base import descend, register, task_loss


@register
class GradientReversal(AdversarialObjective):
    """Predictor minimises L - alpha * L_A; adversary minimises L_A."""

    name = "gradient_reversal"

    def train_step(self, model, optimizer, x, y, g) -> dict[str, float]:
        logits = model(x)
        base = task_loss(logits, y)
        adversary_loss = self.adversary_loss(logits, y, g)
        descend(optimizer, self.flood(base) - self.params.alpha * adversary_loss)
        self.train_adversary(logits, y, g)
        return {"task_loss": base.item(), "adversary_loss": adversary_loss.item()}
