"""The dataset cache: decoded splits stored under ``data/cache/<name>-<hash of options>/``."""

from __future__ import annotations

from ..io import CorruptCacheEntry, stable_hash
from ..paths import data_dir
from .base import FairDataset


def options_hash(name: str, options: dict) -> str:
    return stable_hash({"dataset": name, **options}, length=16)


def cached(name: str, options: dict, build, cache: bool = True) -> FairDataset:
    """Load ``name`` with ``options`` from the cache, or build it and cache it.

    A corrupt or partial cache entry is rebuilt, never used.
    """
    folder = data_dir() / "cache" / f"{name}-{options_hash(name, options)}"
    if cache:
        try:
            return FairDataset.load(folder)
        except (CorruptCacheEntry, FileNotFoundError):
            pass
    dataset = build()
    if cache:
        dataset.save(folder)
    return dataset
