"""One entry point for every dataset: ``load_dataset(name, **options)`` returns a cached FairDataset.

Generated datasets are cached under ``data/cache/`` keyed by a hash of their options (their ``seed``
included: a run draws its own data, ``fairgap.train.data_options_of``) and their generator's version; real
datasets are decoded once from the user's files into the same cache format. A generated dataset also
has a population (``load_population``): a large fresh sample from the same generator, the same for
every data seed, on which a final model's population disparity is measured.
"""

from __future__ import annotations

import dataclasses

from .base import FairDataset, Split  # noqa: F401
from .cache import cached
from .synthetic_faces import GENERATOR_VERSION, FaceConfig, make_synthetic_faces

DATASETS = ("synthetic_faces", "celeba", "synthetic_identities", "celeba_identities", "synthetic_xray",
            "chexpert")

# The options a profile gives a real dataset when a notebook picks it instead of the profile's own
# (the paper profile's real datasets come with their options in its settings). Without them the
# smoke profile would decode all of CelebA's 200,000 photos at 64 px for a seconds-long check.
# max_per_split / max_identities / max_patients keep quick runs quick; each is large enough for the
# profile's sweep sizes (notebook 04: up to 200 training images in smoke, 2,000 in default).
PROFILE_OPTIONS = {
    "smoke": {"celeba": {"image_size": 16, "max_per_split": 240},
              "celeba_identities": {"image_size": 16, "max_identities": 24},
              "chexpert": {"image_size": 16, "max_patients": 200}},
    "default": {"celeba": {"image_size": 32, "max_per_split": 4000},
                "celeba_identities": {"image_size": 32, "max_identities": 200},
                "chexpert": {"image_size": 32, "max_patients": 2000}},
}


def profile_options(profile: str, dataset: str) -> dict:
    """The options ``profile`` gives ``dataset`` when it is not the profile's own (``{}`` for most)."""
    return dict(PROFILE_OPTIONS.get(profile, {}).get(dataset, {}))


# Datasets drawn from a known generator: a run can draw its own sample (``train.data_options_of``) and be
# evaluated on the population (``load_population``). Real datasets have fixed splits and neither.
GENERATED = ("synthetic_faces", "synthetic_identities", "synthetic_xray")
# The population's random stream: fixed, and spawned apart from every data seed's streams.
POPULATION_ENTROPY = (2026, 12, 3)


def is_generated(name: str) -> bool:
    return name in GENERATED


def _options_dataclass(name: str, cls, options: dict):
    valid = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ValueError(f"Unknown option(s) {unknown} for dataset {name!r}. Valid options: {valid}.")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})


def _generated_key(config, generator_version: int) -> dict:
    """A generated dataset's cache key: its options and its generator's version (bumped when generation
    changes, so that data cached by an older generator is never served)."""
    return {**dataclasses.asdict(config), "generator_version": generator_version}


def load_dataset(name: str = "synthetic_faces", cache: bool = True, **options) -> FairDataset:
    """Train/val/test splits of dataset ``name``.

    synthetic_faces: options are the fields of FaceConfig (sizes, group proportion, base rates,
    difficulty and label noise per group, seed).
    celeba: root, target, sensitive, image_size (see fairgap.data.celeba).
    synthetic_identities: the fields of IdentityConfig (fairgap.data.synthetic_identities); splits carry identity.
    celeba_identities: see fairgap.data.celeba_identities.load_celeba_identities; splits carry identity.
    synthetic_xray: the fields of XrayConfig (fairgap.data.synthetic_xray): target finding, sensitive (sex/age).
    chexpert: root, target, sensitive, age_bins, uncertain, frontal_only, image_size (see fairgap.data.chexpert).
    """
    if name == "synthetic_faces":
        config = _options_dataclass(name, FaceConfig, options)
        return cached(name, _generated_key(config, GENERATOR_VERSION), lambda: make_synthetic_faces(config), cache)
    if name == "celeba":
        from .celeba import load_celeba
        return load_celeba(cache=cache, **options)
    if name == "synthetic_identities":
        from .synthetic_identities import GENERATOR_VERSION as version, IdentityConfig, make_synthetic_identities
        config = _options_dataclass(name, IdentityConfig, options)
        return cached(name, _generated_key(config, version), lambda: make_synthetic_identities(config), cache)
    if name == "celeba_identities":
        from .celeba_identities import load_celeba_identities
        return load_celeba_identities(cache=cache, **options)
    if name == "synthetic_xray":
        from .synthetic_xray import GENERATOR_VERSION as version, XrayConfig, make_synthetic_xray
        config = _options_dataclass(name, XrayConfig, options)
        return cached(name, _generated_key(config, version), lambda: make_synthetic_xray(config), cache)
    if name == "chexpert":
        from .chexpert import load_chexpert
        return load_chexpert(cache=cache, **options)
    raise ValueError(f"Unknown dataset {name!r}. Valid datasets: {', '.join(DATASETS)}.")


def load_population(name: str, size: int, cache: bool = True, **options) -> Split:
    """A fresh sample of about ``size`` examples from the generator of dataset ``name`` with ``options``:
    as many of each (group, label) cell, interleaved, each weighted by its cell's share in the generator
    (``fairgap.data.population``; ``size`` is rounded up to a multiple of the number of cells).

    The sizes and the seed in ``options`` are ignored: the population depends on the data's
    distribution only, so it is generated once per data configuration, shared by every data seed,
    and cached like a dataset; a process keeps the last two it read (``cache.KEPT``), so a sweep's worker
    reads its population once. Its stream (``POPULATION_ENTROPY``) is disjoint from every seed's.
    """
    import numpy as np

    from .population import stratified_population

    if name in IDENTITY_POPULATION_DATASETS:  # ``size`` counts people there (fairgap.data.synthetic_identities)
        from .synthetic_identities import load_identity_population
        return load_identity_population(size, cache, **options)
    if name == "synthetic_faces":
        from . import synthetic_faces as generator
        cls = FaceConfig
    elif name == "synthetic_xray":
        from . import synthetic_xray as generator
        cls = generator.XrayConfig
    else:
        raise ValueError(f"No population for dataset {name!r}: only {', '.join(POPULATION_DATASETS)} have one "
                         "(real datasets have a fixed test split; use population=0).")
    if not (isinstance(size, int) and size > 0):
        raise ValueError(f"population size must be a positive integer, got {size!r}.")
    config = _options_dataclass(name, cls, {k: v for k, v in options.items() if k != "seed"})
    key = {k: v for k, v in _generated_key(config, generator.GENERATOR_VERSION).items()
           if k not in ("seed", "n_train", "n_val", "n_test")}

    def build() -> FairDataset:
        described = generator.described(config)
        split, info = stratified_population(
            size, len(described[2]), lambda n, rng: generator.generate_attributes(n, config, rng),
            lambda attrs, rng: generator.render(attrs, config.image_size, config.pixel_noise, rng),
            np.random.default_rng(np.random.SeedSequence(POPULATION_ENTROPY)))
        return FairDataset(f"{name}_population", {"population": split}, *described,
                           info={"config": dataclasses.asdict(config), "size": len(split), **info})

    return cached(f"{name}_population", {**key, "population": size, "sampling": "equal per (group, label) cell"},
                  build, cache, keep=True)["population"]


POPULATION_DATASETS = ("synthetic_faces", "synthetic_xray")
# Populations of people for verification (``VerificationConfig.population``); kept apart from POPULATION_DATASETS,
# whose populations every classification profile switches on (``profiles.with_population``).
IDENTITY_POPULATION_DATASETS = ("synthetic_identities",)
