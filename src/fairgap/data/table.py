"""A table as a dataset like the faces: each split holds its rows' features (float32 [N, F]) where a split
of images holds its pixels, with the same target and group tensors.

``table_dataset`` turns a ``fairgap.tabular.TabularSplit`` (features encoded on the training rows) into a
``FairDataset`` with splits "train" and "test", so that a network on a table ("linear" or "mlp":
``fairgap.models``) trains through ``fairgap.train``'s loop like a CNN on images, with the same objectives
(``fairgap.fairness``), remedies, scheduler and per-epoch history. The arrays are shared with the
TabularSplit, not copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from .base import FairDataset, Split

if TYPE_CHECKING:
    from ..tabular import TabularSplit

TABLE = "table"   # the RunConfig.dataset of a run that is given a table's split (table_dataset)


@dataclass
class FeatureSplit(Split):
    """A split of a table: ``images`` holds the features, a float tensor [N, F] (see ``Split``)."""

    def __post_init__(self):
        n = len(self.images)
        if not self.images.is_floating_point() or self.images.ndim != 2:
            raise ValueError(f"features must be a float tensor [N, F], got {self.images.dtype} "
                             f"{tuple(self.images.shape)}")
        for name in ("target", "group", "identity", "weight"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"{name} has {len(value)} entries but there are {n} rows")

    @property
    def features(self) -> torch.Tensor:
        return self.images

    def subset(self, index) -> "FeatureSplit":
        index = torch.as_tensor(index)
        return FeatureSplit(self.images[index], self.target[index], self.group[index],
                            *(None if t is None else t[index] for t in (self.identity, self.weight)))


def is_table(split: Split) -> bool:
    """Whether a split holds a table's features rather than images."""
    return isinstance(split, FeatureSplit)


def table_dataset(split: "TabularSplit", target_name: str = "target", group_name: str = "group") -> FairDataset:
    """The TabularSplit's train and test rows as a FairDataset (features, target, group as tensors)."""
    parts = {name: FeatureSplit(*(torch.as_tensor(a) for a in split.part(name))) for name in ("train", "test")}
    return FairDataset(split.name, parts, target_name, group_name, tuple(split.group_labels),
                       {"features": list(split.feature_names), "seed": int(split.seed)})


def load_table_dataset(table: str, seed: int = 0, train_size: int | float = 0.5, test_size: int | float | None = None,
                       val_size: int | None = None, **options) -> FairDataset:
    """A run's table (``RunConfig(dataset="table", data={"table": ..., ...})``): ``fairgap.tabular.load_table``
    with ``options`` (target, sensitive, positive, ...), split at ``seed`` (stratified: ``Table.split``).
    ``val_size`` rows (stratified by group and target, at the same seed) move from the test rows to a "val" split,
    for what learns from held-out labels (notebook 07's remedies, post-processing); None: no val split."""
    from ..tabular import load_table

    loaded = load_table(table, **options)
    dataset = table_dataset(loaded.split(seed, train_size, test_size), loaded.target_name, loaded.group_name)
    return dataset if not val_size else with_val(dataset, int(val_size), seed)


def with_val(dataset: FairDataset, val_size: int, seed: int) -> FairDataset:
    """``dataset`` with ``val_size`` of its test rows (stratified by group and target) as a "val" split."""
    import dataclasses

    import numpy as np
    from sklearn.model_selection import train_test_split

    test = dataset["test"]
    strata = (test.group * 2 + test.target).numpy()
    if not 0 < val_size < len(test):
        raise ValueError(f"{dataset.name}: val_size={val_size} must be between 1 and the {len(test)} test rows - 1.")
    try:
        rest, val = train_test_split(np.arange(len(test)), test_size=val_size, stratify=strata, random_state=seed)
    except ValueError as err:
        raise ValueError(f"{dataset.name}: cannot draw a stratified validation split of {val_size} rows from the "
                         f"{len(test)} test rows: {err}. Use a larger table or a smaller train_size.") from err
    splits = {**dataset.splits, "val": test.subset(np.sort(val)), "test": test.subset(np.sort(rest))}
    return dataclasses.replace(dataset, splits={name: splits[name] for name in ("train", "val", "test")})


def table_fingerprint(data: dict) -> dict:
    """What of a run's table enters its cache key beyond its options: a file's SHA-256 (a bundled table is
    its name, already in the options), so that a run on an edited file is never served an old result."""
    import hashlib

    from ..tabular import TABLES, resolve_table_path

    name = data.get("table")
    if not isinstance(name, str) or name in TABLES:
        return {}
    return {"table_sha256": hashlib.sha256(resolve_table_path(name).read_bytes()).hexdigest()}
