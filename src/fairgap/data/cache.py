"""The dataset cache: decoded splits stored under ``data/cache/<name>-<hash of options>/``."""

from __future__ import annotations

from collections import OrderedDict

from ..io import CorruptCacheEntry, stable_hash
from ..paths import data_dir
from .base import FairDataset


def options_hash(name: str, options: dict) -> str:
    return stable_hash({"dataset": name, **options}, length=16)


# Entries kept in this process after their first read (``cached(..., keep=True)``), the most recently used last.
# A sweep's worker scores every run on the same population: 38,416 faces are 118 MB and took 0.75 s of an
# 18.6 s run to read (2026-12-03, one core), so a worker reads each population once, not once per run.
KEPT: OrderedDict = OrderedDict()
KEPT_ENTRIES = 2


def cached(name: str, options: dict, build, cache: bool = True, keep: bool = False) -> FairDataset:
    """Load ``name`` with ``options`` from the cache, or build it and cache it.

    A corrupt or partial cache entry is rebuilt, never used. ``keep``: also hold the entry in this process
    (the last ``KEPT_ENTRIES`` kept), so that later calls return the same object without reading the disk;
    its tensors are shared, so callers must not change them in place.
    """
    folder = data_dir() / "cache" / f"{name}-{options_hash(name, options)}"
    if cache and keep and folder in KEPT:
        KEPT.move_to_end(folder)
        return KEPT[folder]
    dataset = _read_or_build(folder, build, cache)
    if cache and keep:
        KEPT[folder] = dataset
        while len(KEPT) > KEPT_ENTRIES:
            KEPT.popitem(last=False)
    return dataset


def _read_or_build(folder, build, cache: bool) -> FairDataset:
    if cache:
        try:
            return FairDataset.load(folder)
        except (CorruptCacheEntry, FileNotFoundError):
            pass
    dataset = build()
    if cache:
        dataset.save(folder)
    return dataset
