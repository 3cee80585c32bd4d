"""Every generator's version is part of its dataset's cache key: data cached by an older generator is
never served after the generator changes (bump its GENERATOR_VERSION)."""

from __future__ import annotations

import importlib

import pytest

from fairgap.data import load_dataset
from fairgap.paths import data_dir

GENERATORS = {
    "synthetic_faces": dict(n_train=60, n_val=20, n_test=20, image_size=16),
    "synthetic_identities": dict(n_train_identities=8, n_test_identities=6, images_train=4, images_val=2,
                                 images_test=3, image_size=16),
    "synthetic_xray": dict(n_train=60, n_val=20, n_test=20, image_size=16),
}


def cache_folders(name: str) -> set[str]:
    return {p.name for p in (data_dir() / "cache").glob(f"{name}-*")}


@pytest.mark.parametrize("name", list(GENERATORS))
def test_a_new_generator_version_does_not_reuse_the_old_cache(name, monkeypatch, tmp_path):
    monkeypatch.setenv("FAIRGAP_DATA", str(tmp_path))   # a cache of its own: other tests share the session's
    module = importlib.import_module(f"fairgap.data.{name}")
    load_dataset(name, **GENERATORS[name])
    first = cache_folders(name)
    load_dataset(name, **GENERATORS[name])
    assert cache_folders(name) == first and len(first) == 1     # the same options and version: one entry

    monkeypatch.setattr(module, "GENERATOR_VERSION", module.GENERATOR_VERSION + 1)
    if name == "synthetic_faces":   # imported by name into fairgap.data at import time
        monkeypatch.setattr(importlib.import_module("fairgap.data"), "GENERATOR_VERSION", module.GENERATOR_VERSION)
    load_dataset(name, **GENERATORS[name])
    assert len(cache_folders(name) - first) == 1, f"{name}: a new generator version reused the old cache entry"
