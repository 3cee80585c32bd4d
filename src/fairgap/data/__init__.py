"""One entry point for every dataset: ``load_dataset(name, **options)`` returns a cached FairDataset.

Generated datasets are cached under ``data/cache/`` keyed by a hash of their options;
real datasets are decoded once from the user's files into the same cache format.
"""

from __future__ import annotations

import dataclasses

from .base import FairDataset, Split  # noqa: F401
from .cache import cached
from .synthetic_faces import FaceConfig, make_synthetic_faces

DATASETS = ("synthetic_faces", "celeba")


def _options_dataclass(name: str, cls, options: dict):
    valid = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ValueError(f"Unknown option(s) {unknown} for dataset {name!r}. Valid options: {valid}.")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})


def load_dataset(name: str = "synthetic_faces", cache: bool = True, **options) -> FairDataset:
    """Train/val/test splits of dataset ``name``.

    synthetic_faces: options are the fields of FaceConfig (sizes, group proportion, base rates,
    difficulty and label noise per group, seed).
    celeba: root, target, sensitive, image_size (see fairgap.data.celeba).
    """
    if name == "synthetic_faces":
        config = _options_dataclass(name, FaceConfig, options)
        return cached(name, dataclasses.asdict(config), lambda: make_synthetic_faces(config), cache)
    if name == "celeba":
        from .celeba import load_celeba
        return load_celeba(cache=cache, **options)
    raise ValueError(f"Unknown dataset {name!r}. Valid datasets: {', '.join(DATASETS)}.")
