"""The one interface every training objective implements, and the registry that builds them by name.

An objective owns one optimisation step: most only define ``loss`` (the default
``train_step`` backpropagates it), while methods that need their own updates (an
adversary, dual variables) override ``train_step`` or ``after_step``.
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
    targets: ClassVar[str | None] = None  # the disparity metric this method aims to reduce

    def __init__(self, params, n_groups: int = 2):
        self.params = params
        self.n_groups = n_groups
        self.flood_level: float | None = None  # set by the training loop from RunConfig.flood_level

    def setup(self, model: torch.nn.Module, device: torch.device) -> None:
        """Create auxiliary state (an adversary, multipliers) once the model exists."""

    def loss(self, logits: torch.Tensor, y: torch.Tensor, g: torch.Tensor, features: torch.Tensor | None = None):
        """Return (total loss to minimise, {name: float} of its parts for the history)."""
        raise NotImplementedError

    def train_step(self, model, optimizer, x, y, g) -> dict[str, float]:
        logits = model(x)
        total, parts = self.loss(logits, y, g)
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()
        self.after_step(logits.detach(), y, g)
        return parts

    def after_step(self, logits, y, g) -> None:
        """Hook after each optimiser step (dual updates)."""

    def describe(self) -> str:
        values = dataclasses.asdict(self.params)
        return self.name + (f"({', '.join(f'{k}={v}' for k, v in values.items())})" if values else "")


def register(cls: type[Objective]) -> type[Objective]:
    REGISTRY[cls.name] = cls
    return cls


def available_objectives() -> list[str]:
    return sorted(REGISTRY)


def parameter_names(name: str) -> list[str]:
    return [f.name for f in dataclasses.fields(_lookup(name).Params)]


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


def task_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, y.float())


def group_means(values: torch.Tensor, g: torch.Tensor, mask: torch.Tensor, n_groups: int):
    """Mean of ``values`` over ``mask`` within each group, and which groups had any example.

    Groups absent from the batch get mean 0 and present=False, so no NaN can arise.
    """
    weights = mask.float()
    onehot = F.one_hot(g, n_groups).float() * weights[:, None]
    counts = onehot.sum(0)
    sums = onehot.T @ values
    present = counts > 0
    return sums / counts.clamp_min(1.0), present


def max_gap(stat: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """Largest minus smallest ``stat`` among present groups; 0 (still differentiable) if fewer than two."""
    if int(present.sum()) < 2:
        return stat.sum() * 0.0
    kept = stat[present]
    return kept.max() - kept.min()
