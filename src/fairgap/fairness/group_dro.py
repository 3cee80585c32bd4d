"""Online group distributionally robust optimisation.

Sagawa, Koh, Hashimoto, Liang, "Distributionally Robust Neural Networks for Group Shifts: On the
Importance of Regularization for Worst-Case Generalization", ICLR 2020, Algorithm 1. Weights q
over the groups start uniform; on each batch, with L_k the mean BCE of the batch's examples of
group k,

    q_k <- q_k * exp(step_size * L_k)   (groups absent from the batch: L_k = 0, q_k unchanged)
    q   <- q / sum(q)
    loss = sum_k q_k L_k                 (minimised by the optimiser; q is not differentiated)

The groups are the sensitive groups by default (``groups="group"``); ``groups="group_x_label"``
uses the (group, label) cells as in the paper, cell k = 2 * g + y. The history records the
weights after each update as "dro_weight_<g>" (or "dro_weight_<g>_y<y>"). The paper's
generalisation adjustment (C / sqrt(n_k)) is not implemented.
"""

from __future__ import annotations

import dataclasses

import torch

from .base import Objective, check_choice, check_range, descend, example_losses, group_means, register

GROUPINGS = ("group", "group_x_label")


@dataclasses.dataclass(frozen=True)
class GroupDROParams:
    """step_size: the exponentiated-gradient step of the group weights (0 = fixed uniform weights);
    groups: "group" (sensitive groups) or "group_x_label" ((group, label) cells)."""

    step_size: float = 0.01
    groups: str = "group"

    def __post_init__(self):
        check_range("group_dro", step_size=(self.step_size, 0.0, 100.0))
        check_choice("group_dro", groups=(self.groups, GROUPINGS))


@register
class GroupDRO(Objective):
    """Minimise the q-weighted group losses; q follows exponentiated gradient ascent on them."""

    name = "group_dro"
    Params = GroupDROParams
    targets = "accuracy_difference"

    def __init__(self, params, n_groups: int = 2):
        super().__init__(params, n_groups)
        self.n_cells = n_groups * (2 if params.groups == "group_x_label" else 1)
        self.weights = torch.full((self.n_cells,), 1.0 / self.n_cells)
        if params.groups == "group_x_label":
            self.weight_names = [f"dro_weight_{k // 2}_y{k % 2}" for k in range(self.n_cells)]
        else:
            self.weight_names = [f"dro_weight_{k}" for k in range(self.n_cells)]

    def setup(self, model, device) -> None:
        self.weights = self.weights.to(device)

    def cells(self, y: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return g * 2 + y.long() if self.params.groups == "group_x_label" else g

    def group_losses(self, logits, y, g):
        """Mean BCE per group (0 for absent groups), the batch's mean BCE."""
        per_example = example_losses(logits, y)
        everyone = torch.ones_like(y, dtype=torch.bool)
        losses, _ = group_means(per_example, self.cells(y, g), everyone, self.n_cells)
        return losses, per_example.mean()

    def loss(self, logits, y, g, features=None):
        """The robust loss at the current weights (no weight update)."""
        losses, base = self.group_losses(logits, y, g)
        total = (self.weights.to(losses.device) * losses).sum()
        return total, {"task_loss": base.item(), "robust_loss": total.item()}

    def update_weights(self, losses: torch.Tensor) -> None:
        weights = self.weights.to(losses.device) * torch.exp(self.params.step_size * losses.detach())
        self.weights = weights / weights.sum()

    def train_step(self, model, optimizer, x, y, g) -> dict[str, float]:
        logits = model(x)
        losses, base = self.group_losses(logits, y, g)
        self.update_weights(losses)
        total = (self.weights * losses).sum()
        descend(optimizer, self.flood(total))
        weights = self.weights.tolist()
        return {"task_loss": base.item(), "robust_loss": total.item(),
                **{name: w for name, w in zip(self.weight_names, weights)}}
