"""Adversarial debiasing with the projected predictor update.

Zhang, Lemoine, Mitchell, "Mitigating Unwanted Biases with Adversarial Learning", AIES 2018.
An adversary A (see ``adversarial_base.py``) learns to predict the group g from the predictor's logit
(and the label, for equalized odds) by minimising its loss L_A. The predictor's update uses, for
each parameter tensor W separately,

    grad_W = grad_W L - proj_{grad_W L_A} grad_W L - alpha * grad_W L_A
    proj_a v = (v . a / max(|a|^2, eps)) a           (0 when grad_W L_A = 0)

so it never moves in a direction that helps the adversary, and moves against it with weight
alpha. L is the task BCE (flooded when a flood level is set). ``grad_W`` is passed to the
training loop's optimiser as the parameter's gradient. On every batch the predictor takes one
step with the gradients above, then the adversary ``adversary_steps`` steps on grad L_A with the
batch's logits held fixed.
Zhang et al. also suggest growing alpha and decaying the learning rate over training; alpha is
fixed here.
"""

from __future__ import annotations

import torch

from .adversarial_base import AdversarialObjective
from .base import register, task_loss

EPS = 1e-12


def project(vector: torch.Tensor, direction: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """The component of ``vector`` along ``direction`` (zero when ``direction`` is zero)."""
    return (vector * direction).sum() / (direction * direction).sum().clamp_min(eps) * direction


def projected_gradient(task_grad: torch.Tensor, adversary_grad: torch.Tensor, alpha: float) -> torch.Tensor:
    """grad L - proj_{grad L_A} grad L - alpha * grad L_A, for one parameter tensor."""
    return task_grad - project(task_grad, adversary_grad) - alpha * adversary_grad


@register
class Adversarial(AdversarialObjective):
    """Zhang et al. (2018): the predictor's gradient loses its component along the adversary's gradient."""

    name = "adversarial"

    def train_step(self, model, optimizer, x, y, g) -> dict[str, float]:
        logits = model(x)
        base = task_loss(logits, y)
        adversary_loss = self.adversary_loss(logits, y, g)
        parameters = [p for p in model.parameters() if p.requires_grad]
        task_grads = torch.autograd.grad(self.flood(base), parameters, retain_graph=True, allow_unused=True)
        adversary_grads = torch.autograd.grad(adversary_loss, parameters, allow_unused=True)
        for parameter, task_grad, adversary_grad in zip(parameters, task_grads, adversary_grads):
            task_grad = torch.zeros_like(parameter) if task_grad is None else task_grad
            adversary_grad = torch.zeros_like(parameter) if adversary_grad is None else adversary_grad
            parameter.grad = projected_gradient(task_grad, adversary_grad, self.params.alpha)
        optimizer.step()
        self.train_adversary(logits, y, g)
        return {"task_loss": base.item(), "adversary_loss": adversary_loss.item()}
