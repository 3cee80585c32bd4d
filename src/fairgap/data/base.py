"""The one container every dataset reader returns: decoded uint8 images plus labels and groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..io import CorruptCacheEntry, read_arrays, read_json, write_arrays, write_json


@dataclass
class Split:
    """One split, held in memory as tensors so that epochs never decode an image.

    images: uint8 [N, C, H, W]; target: int64 [N] in {0, 1}; group: int64 [N] in {0, .., G-1}.
    identity: int64 [N] or None (only for verification data).
    weight: float64 [N] or None: how many examples of the data's own distribution each one stands for
    (a population sample drawn stratified, ``fairgap.data.population``); None: one each.
    """

    images: torch.Tensor
    target: torch.Tensor
    group: torch.Tensor
    identity: torch.Tensor | None = None
    weight: torch.Tensor | None = None

    def __post_init__(self):
        n = len(self.images)
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise ValueError(f"images must be a uint8 tensor [N, C, H, W], got {self.images.dtype} {tuple(self.images.shape)}")
        for name in ("target", "group", "identity", "weight"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"{name} has {len(value)} entries but there are {n} images")

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, index) -> "Split":
        index = torch.as_tensor(index)
        return Split(self.images[index], self.target[index], self.group[index],
                     *(None if t is None else t[index] for t in (self.identity, self.weight)))


@dataclass
class FairDataset:
    """Named splits ("train", "val", "test") with what the target and the groups mean."""

    name: str
    splits: dict[str, Split]
    target_name: str
    group_name: str
    group_labels: tuple[str, ...]
    info: dict = field(default_factory=dict)

    def __getitem__(self, split: str) -> Split:
        if split not in self.splits:
            raise KeyError(f"Dataset {self.name!r} has no split {split!r}; it has {sorted(self.splits)}")
        return self.splits[split]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(next(iter(self.splits.values())).images.shape[1:])

    def describe(self):
        """Per split and group: size and target base rate, as a small table."""
        import pandas as pd

        rows = []
        for split_name, split in self.splits.items():
            for g, label in enumerate(self.group_labels):
                mask = split.group == g
                n = int(mask.sum())
                rows.append({"split": split_name, "group": label, "n": n,
                             f"P({self.target_name})": float(split.target[mask].float().mean()) if n else float("nan")})
        return pd.DataFrame(rows)

    # --- cache: one .npz per split plus a JSON header, written atomically ---

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        for split_name, split in self.splits.items():
            arrays = {"images": split.images.numpy(), "target": split.target.numpy(), "group": split.group.numpy()}
            for name in ("identity", "weight"):
                if getattr(split, name) is not None:
                    arrays[name] = getattr(split, name).numpy()
            write_arrays(folder / f"{split_name}.npz", **arrays)
        # The header goes last: its presence marks a complete cache entry.
        write_json(folder / "dataset.json", {"name": self.name, "splits": list(self.splits),
                                             "target_name": self.target_name, "group_name": self.group_name,
                                             "group_labels": list(self.group_labels), "info": self.info})

    @classmethod
    def load(cls, folder: Path) -> "FairDataset":
        """Read a cached dataset; raises CorruptCacheEntry if any part is missing or unreadable."""
        folder = Path(folder)
        header_path = folder / "dataset.json"
        if not header_path.is_file():
            raise CorruptCacheEntry(f"{header_path} is missing")
        header = read_json(header_path)
        splits = {}
        for split_name in header["splits"]:
            arrays = read_arrays(folder / f"{split_name}.npz")
            try:
                splits[split_name] = Split(torch.from_numpy(arrays["images"]), torch.from_numpy(arrays["target"]),
                                           torch.from_numpy(arrays["group"]),
                                           *(torch.from_numpy(arrays[k]) if k in arrays else None
                                             for k in ("identity", "weight")))
            except (KeyError, ValueError) as err:
                raise CorruptCacheEntry(f"{folder / split_name}.npz: {err}") from err
        return cls(header["name"], splits, header["target_name"], header["group_name"],
                   tuple(header["group_labels"]), header.get("info", {}))


def stratified_indices(target: np.ndarray, group: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` indices drawn without replacement, keeping each (group, target) cell's share."""
    cells = {}
    for key in zip(group.tolist(), target.tolist()):
        cells[key] = cells.get(key, 0) + 1
    total = len(target)
    chosen = []
    for (g, y), count in sorted(cells.items()):
        members = np.flatnonzero((group == g) & (target == y))
        take = max(1, round(n * count / total)) if count else 0
        chosen.append(rng.choice(members, size=min(take, count), replace=False))
    index = np.concatenate(chosen)
    rng.shuffle(index)
    return np.sort(index[:n])


def size_problems(config, positive: tuple[str, ...], non_negative: tuple[str, ...]) -> list[str]:
    """The shared checks of a generator's config: counts and the image size, as readable problems."""
    problems = [f"{name}={getattr(config, name)} must be at least 1" for name in positive if getattr(config, name) < 1]
    problems += [f"{name}={getattr(config, name)} must be 0 or more" for name in non_negative
                 if getattr(config, name) < 0]
    if not 8 <= config.image_size <= 256:
        problems.append(f"image_size={config.image_size} must be between 8 and 256 pixels (32-64 is typical)")
    return problems
