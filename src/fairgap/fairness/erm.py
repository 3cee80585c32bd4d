"""Empirical risk minimisation: the unconstrained baseline."""

from .base import Objective, register, task_loss


@register
class ERM(Objective):
    """Minimise the binary cross-entropy alone."""

    name = "erm"

    def loss(self, logits, y, g, features=None):
        total = task_loss(logits, y)
        return total, {"task_loss": total.item()}
