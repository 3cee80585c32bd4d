"""The one interface every training objective implements, and the registry that builds them by name.

An objective owns one optimisation step: most only define ``loss`` (the default
``train_step`` backpropagates it), while methods that need their own updates (an
adversary, dual variables) override ``train_step`` or ``after_step``.

Flooding (Ishida et al., ICML 2020, "Do We Need Zero Training Loss After Achieving Zero
Training Error?") composes with every method: when ``flood_level`` b is set, the step
minimises ``|loss - b| + b`` instead of ``loss`` (gradient descent above b, ascent below).
Which ``loss`` is flooded: the total for methods whose objective is a non-negative loss
(ERM, penalties, group DRO); the task loss for methods whose objective is a Lagrangian or
a two-player game (fairalm, adversarial, gradient_reversal), whose total can be negative.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import torch
import torch.nn.functional as F

REGISTRY: dict[str, type["Objective"]] = {}


@dataclasses.dataclass(frozen=True)
class NoParams:
    """ERM has no parameters."""


class Objective:
    """Base class: a named training objective with validated parameters.

    Subclasses set ``name``, a frozen dataclass ``Params`` whose ``__post_init__`` checks
    values, and implement ``loss``.
    """

    name: ClassVar[str]
    Params: ClassVar[type] = NoParams
    # The disparity metric (a fairgap.metrics.DISPARITIES name) this method aims to reduce.
    targets: str | None = None
    # For methods with a ``condition`` parameter: the disparity targeted under each condition
    # (the instance's ``targets`` is looked up here).
    condition_targets: ClassVar[dict[str, str] | None] = None
    # True for PenaltyObjective: ``loss`` is exactly task_loss + weight * penalty.
    penalty_based: ClassVar[bool] = False
    # The most groups the method can constrain (None: any number).
    max_groups: ClassVar[int | None] = None

    def __init__(self, params, n_groups: int = 2):
        self.params = params
        self.n_groups = n_groups
        self.flood_level: float | None = None  # set by the training loop from RunConfig.flood_level
        if self.condition_targets is not None:
            self.targets = self.condition_targets[params.condition]

    def setup(self, model: torch.nn.Module, device: torch.device) -> None:
        """Create auxiliary state (an adversary, multipliers) once the model exists."""

    def loss(self, logits: torch.Tensor, y: torch.Tensor, g: torch.Tensor, features: torch.Tensor | None = None):
        """Return (total loss to minimise, {name: float} of its parts for the history)."""
        raise NotImplementedError

    def train_step(self, model, optimizer, x, y, g) -> dict[str, float]:
        logits = model(x)
        total, parts = self.loss(logits, y, g)
        descend(optimizer, self.flood(total))
        self.after_step(logits.detach(), y, g)
        return parts

    def flood(self, loss: torch.Tensor) -> torch.Tensor:
        """``|loss - b| + b`` with b = ``flood_level`` (Ishida et al. 2020); ``loss`` itself when unset."""
        if self.flood_level is None:
            return loss
        return (loss - self.flood_level).abs() + self.flood_level

    def start_epoch(self, epoch: int) -> None:
        """Hook at the start of each epoch (1-based), for per-epoch schedules; the default does nothing."""

    def after_step(self, logits, y, g) -> None:
        """Hook after each optimiser step (dual updates)."""

    def describe(self) -> str:
        values = dataclasses.asdict(self.params)
        return self.name + (f"({', '.join(f'{k}={v}' for k, v in values.items())})" if values else "")


class PenaltyObjective(Objective):
    """Methods of the form  task loss + weight * penalty(batch):  subclasses implement ``penalty_term``.

    Their fairness term can be computed on another batch than the task loss (``fairness_term``),
    which is what the held-out-fairness remedy does.
    """

    penalty_based: ClassVar[bool] = True

    def penalty_term(self, logits: torch.Tensor, y: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def fairness_term(self, logits, y, g) -> tuple[torch.Tensor, torch.Tensor]:
        """(weight * penalty, penalty) on this batch."""
        penalty = self.penalty_term(logits, y, g)
        return self.params.weight * penalty, penalty

    def loss(self, logits, y, g, features=None):
        base = task_loss(logits, y)
        term, penalty = self.fairness_term(logits, y, g)
        return base + term, {"task_loss": base.item(), "penalty": penalty.item()}


def register(cls: type[Objective]) -> type[Objective]:
    REGISTRY[cls.name] = cls
    return cls


def available_objectives() -> list[str]:
    return sorted(REGISTRY)


def parameter_names(name: str) -> list[str]:
    return [f.name for f in dataclasses.fields(_lookup(name).Params)]


def takes_groups(name: str, n_groups: int) -> bool:
    """Whether method ``name`` can train on data with ``n_groups`` groups (``Objective.max_groups``)."""
    limit = _lookup(name).max_groups
    return limit is None or n_groups <= limit


def _lookup(name: str) -> type[Objective]:
    if name not in REGISTRY:
        raise ValueError(f"Unknown fairness method {name!r}. Valid methods: {', '.join(available_objectives())}.")
    return REGISTRY[name]


def validate_params(name: str, params: dict | None = None):
    """Build the Params dataclass of ``name``; unknown or invalid values raise ValueError naming the valid ones."""
    cls = _lookup(name)
    params = dict(params or {})
    valid = [f.name for f in dataclasses.fields(cls.Params)]
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ValueError(f"Unknown parameter(s) {unknown} for method {name!r}. "
                         f"Valid parameters: {valid or 'none'}.")
    return cls.Params(**params)


def make_objective(name: str, params: dict | None = None, n_groups: int = 2) -> Objective:
    return _lookup(name)(validate_params(name, params), n_groups)


def check_range(method: str, **values: tuple[float, float, float]) -> None:
    """Raise ValueError for each ``name=(value, low, high)`` outside [low, high]."""
    for key, (value, low, high) in values.items():
        if not low <= value <= high:
            raise ValueError(f"{method}: {key}={value} is out of range; valid values are in [{low}, {high}].")


def check_choice(method: str, **values: tuple[str, tuple[str, ...]]) -> None:
    """Raise ValueError for each ``name=(value, choices)`` whose value is not one of the choices."""
    for key, (value, choices) in values.items():
        if value not in choices:
            raise ValueError(f"{method}: {key}={value!r} is not valid; valid values are {', '.join(choices)}.")


def descend(optimizer, total: torch.Tensor) -> None:
    """One optimiser step on ``total``."""
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    optimizer.step()


def task_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, y.float())


def example_losses(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of each example (no reduction)."""
    return F.binary_cross_entropy_with_logits(logits, y.float(), reduction="none")


# Which examples a group-conditional statistic is computed on, and the disparity it then targets.
CONDITIONS = ("positives", "negatives", "all")


def condition_mask(y: torch.Tensor, condition: str) -> torch.Tensor:
    """Examples with y == 1 ("positives"), y == 0 ("negatives") or every example ("all")."""
    if condition == "positives":
        return y == 1
    if condition == "negatives":
        return y == 0
    return torch.ones_like(y, dtype=torch.bool)


def group_means(values: torch.Tensor, g: torch.Tensor, mask: torch.Tensor, n_groups: int):
    """Mean of ``values`` over ``mask`` within each group, and which groups had any example.

    Groups absent from the batch get mean 0 and present=False, so no NaN can arise. Sums are taken
    in float32 with index_add (not a matmul, which autocast would run in bf16).
    """
    weights = mask.float()
    zeros = torch.zeros(n_groups, device=values.device, dtype=torch.float32)
    counts = zeros.index_add(0, g, weights)
    sums = zeros.index_add(0, g, values.float() * weights)
    present = counts > 0
    return sums / counts.clamp_min(1.0), present


def present_pairs(present: torch.Tensor) -> list[tuple[int, int]]:
    """All pairs (g, h), g < h, of groups present in the batch."""
    groups = [int(i) for i in torch.nonzero(present).flatten()]
    return [(a, b) for i, a in enumerate(groups) for b in groups[i + 1:]]


def max_gap(stat: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """Largest minus smallest ``stat`` among present groups; 0 (still differentiable) if fewer than two."""
    if int(present.sum()) < 2:
        return stat.sum() * 0.0
    kept = stat[present]
    return kept.max() - kept.min()
