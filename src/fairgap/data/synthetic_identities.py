"""Procedurally rendered faces of known identities, for face verification (the embedded default).

Each identity is a person with fixed traits; each of its images is a new photograph of that
person. The images are rendered by ``fairgap.data.synthetic_faces.render`` and the per-image
nuisance comes from ``synthetic_faces.generate_attributes``; this module only decides which
latent variables belong to the person and which to the photograph.

Generative model (all draws from seeded numpy Generators):

    per identity k
        group  g_k ~ Bernoulli(group_proportion)        sensitive attribute: skin tone (0 lighter, 1 darker)
        spread   = trait_spread[g_k]                     how far identities of the group differ
        skin tint      1 + spread * Normal(0, SKIN_SPREAD)        (3 channels, multiplies the group's skin colour)
        face size      FACE_SIZE + spread * Normal(0, FACE_SIZE_SPREAD)
        hair colour    with prob. spread uniform over the palette, else the group's common colour
        hair height    HAIR_HEIGHT + spread * Uniform(-1, 1) * HAIR_HEIGHT_SPREAD
        eye size       EYE_SIZE + spread * Uniform(-1, 1) * EYE_SIZE_SPREAD
    per image of identity k  (generate_attributes' draws, shrunk towards their middle by ``nuisance``)
        pose (head position), distance (face size x (1 +- 3%)), expression (smile or not, its strength),
        glasses (an accessory), background, lighting direction and strength, brightness,
        a small per-photo colour cast of the skin, pixel noise.

``trait_spread`` is the knob that makes verification harder for one group: with a smaller
spread the group's identities look more alike, so its impostor pairs are more similar and
its genuine/impostor score distributions overlap more. With the default (1.0, 0.55) the
darker group is the harder one.

Splits (``identity`` holds a person's number, unique across the dataset):

* ``train``: ``images_train`` images of each of ``n_train_identities`` identities,
* ``val``: ``images_val`` further images of the SAME training identities (held-out photos),
* ``test``: ``images_test`` images of each of ``n_test_identities`` UNSEEN identities.

``target`` is whether the person smiles in that photo (a per-image attribute), so the data
can also serve classification; verification uses ``identity`` and ``group``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from .base import FairDataset, Split, size_problems
from .synthetic_faces import HAIR, FaceConfig, generate_attributes, render

SKIN_SPREAD = 0.10          # sd of the per-identity skin tint (relative) at spread 1
FACE_SIZE, FACE_SIZE_SPREAD = 0.95, 0.06
HAIR_HEIGHT, HAIR_HEIGHT_SPREAD = 0.30, 0.15
EYE_SIZE, EYE_SIZE_SPREAD = 0.065, 0.015
COMMON_HAIR = (1, 0)        # the most common hair colour of group 0 (brown) and group 1 (black)
PHOTO_SKIN_CAST = 0.015     # sd of a per-photo colour cast of the skin (relative)
# Middle of each nuisance range of generate_attributes; ``nuisance`` shrinks draws towards it.
_NUISANCE_MIDDLE = {"center_x": 0.0, "center_y": 0.04, "background": 0.5, "light_strength": 0.0, "brightness": 0.975}


GENERATOR_VERSION = 1   # bump when generation changes, so cached identities of the old generator are not served


@dataclass(frozen=True)
class IdentityConfig:
    """Knobs of the identity generator; the defaults are the default profile's data.

    trait_spread: per group, how much identities differ (1 = the full spread; smaller = more alike,
        so harder to verify).
    nuisance: scales the per-photo variation of pose, background and lighting (1 = as in synthetic_faces).
    glasses_rate: share of photos with glasses (an accessory, not an identity trait).
    smile_rate: share of photos in which the person smiles; smile_strength in [0, 1) weakens the cue.
    """

    n_train_identities: int = 160
    n_test_identities: int = 160
    images_train: int = 15
    images_val: int = 5
    images_test: int = 5
    image_size: int = 32
    group_proportion: float = 0.5
    trait_spread: tuple[float, float] = (1.0, 0.55)
    nuisance: float = 0.6
    glasses_rate: float = 0.25
    smile_rate: float = 0.5
    pixel_noise: float = 0.03
    seed: int = 0

    def __post_init__(self):
        problems = size_problems(self, positive=("n_train_identities", "n_test_identities", "images_train",
                                                 "images_test"), non_negative=("images_val",))
        if not 0 < self.group_proportion < 1:
            problems.append(f"group_proportion={self.group_proportion} must be strictly between 0 and 1")
        if len(self.trait_spread) != 2 or not all(0 < s <= 1 for s in self.trait_spread):
            problems.append(f"trait_spread={self.trait_spread} must be two numbers (group 0, group 1) in (0, 1]")
        if not 0 <= self.nuisance <= 1:
            problems.append(f"nuisance={self.nuisance} must be in [0, 1]")
        for name in ("glasses_rate", "smile_rate"):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name}={getattr(self, name)} must be in [0, 1]")
        if self.pixel_noise < 0:
            problems.append(f"pixel_noise={self.pixel_noise} must be 0 or more")
        if problems:
            raise ValueError("Invalid synthetic identity settings: " + "; ".join(problems))


def generate_identities(n: int, config: IdentityConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The fixed traits of ``n`` people: group and what the renderer needs to draw them."""
    group = (rng.random(n) < config.group_proportion).astype(np.int64)
    spread = np.asarray(config.trait_spread, dtype=np.float64)[group]
    uniform_hair = rng.random(n) < spread
    hair = np.where(uniform_hair, rng.integers(0, len(HAIR), n), np.asarray(COMMON_HAIR)[group])
    return {
        "group": group,
        "skin_jitter": 1.0 + spread[:, None] * rng.normal(0, SKIN_SPREAD, (n, 3)),
        "scale": FACE_SIZE + spread * rng.normal(0, FACE_SIZE_SPREAD, n),
        "hair": hair.astype(np.int64),
        "hair_height": HAIR_HEIGHT + spread * rng.uniform(-1, 1, n) * HAIR_HEIGHT_SPREAD,
        "eye_size": EYE_SIZE + spread * rng.uniform(-1, 1, n) * EYE_SIZE_SPREAD,
    }


def photo_attributes(people: dict[str, np.ndarray], person: np.ndarray, config: IdentityConfig,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Attributes of one photo of each entry of ``person`` (indices into ``people``), ready for render()."""
    n = len(person)
    face = FaceConfig(n_train=max(n, 1), base_rate=(config.smile_rate, config.smile_rate),
                      difficulty=(0.3, 0.3), label_noise=(0.0, 0.0), image_size=config.image_size)
    attrs = generate_attributes(n, face, rng)
    for key, middle in _NUISANCE_MIDDLE.items():
        attrs[key] = middle + config.nuisance * (attrs[key] - middle)
    attrs["glasses"] = rng.random(n) < config.glasses_rate
    attrs["group"] = people["group"][person]
    attrs["skin_jitter"] = people["skin_jitter"][person] * rng.normal(1.0, PHOTO_SKIN_CAST, (n, 3))
    attrs["scale"] = people["scale"][person] * rng.uniform(0.97, 1.03, n)
    for key in ("hair", "hair_height", "eye_size"):
        attrs[key] = people[key][person]
    return attrs


def render_photos(people: dict[str, np.ndarray], per_person: int, first_id: int, config: IdentityConfig,
                  rng: np.random.Generator, batch: int = 2000) -> Split:
    """``per_person`` photos of every person, grouped by person; identity numbers start at ``first_id``."""
    person = np.repeat(np.arange(len(people["group"])), per_person)
    attrs = photo_attributes(people, person, config, rng)
    chunks = [render({k: v[i:i + batch] for k, v in attrs.items()}, config.image_size, config.pixel_noise, rng)
              for i in range(0, len(person), batch)]
    images = np.concatenate(chunks)
    return Split(torch.from_numpy(images), torch.from_numpy(attrs["smile"].astype(np.int64)),
                 torch.from_numpy(attrs["group"].astype(np.int64)),
                 torch.from_numpy((person + first_id).astype(np.int64)))


def make_synthetic_identities(config: IdentityConfig) -> FairDataset:
    """All three splits. Separate random streams: the training people and their photos do not
    change when the number of unseen people (or of their photos) changes, and vice versa."""
    s_train_people, s_test_people, s_train, s_val, s_test = np.random.SeedSequence(config.seed).spawn(5)
    train_people = generate_identities(config.n_train_identities, config, np.random.default_rng(s_train_people))
    test_people = generate_identities(config.n_test_identities, config, np.random.default_rng(s_test_people))
    first_test = config.n_train_identities
    splits = {"train": render_photos(train_people, config.images_train, 0, config, np.random.default_rng(s_train))}
    if config.images_val > 0:
        splits["val"] = render_photos(train_people, config.images_val, 0, config, np.random.default_rng(s_val))
    splits["test"] = render_photos(test_people, config.images_test, first_test, config, np.random.default_rng(s_test))
    counts = {name: [int((people["group"] == g).sum()) for g in (0, 1)]
              for name, people in (("train_identities", train_people), ("test_identities", test_people))}
    return FairDataset("synthetic_identities", splits, target_name="smiling", group_name="skin_tone",
                       group_labels=("lighter", "darker"),
                       info={"config": asdict(config), "identities_per_group": counts,
                             "identity_splits": {"train": "training identities", "val": "training identities "
                                                 "(held-out photos)", "test": "unseen identities"}})


# Population people are numbered from here: a seed's people are numbered 0 .. n_train + n_test - 1, so no
# identity number of the population can be one of a seed's (a pair of photos is genuine by identity number).
POPULATION_FIRST_ID = 1_000_000_000
# The options that only size or seed a seed's splits; the population ignores them (``images_test``, the photos
# per unseen person, stays: it is how a person is photographed for verification).
_SAMPLE_OPTIONS = ("seed", "n_train_identities", "n_test_identities", "images_train", "images_val")


def make_population(people: int, config: IdentityConfig) -> FairDataset:
    """``people`` fresh people with ``config.images_test`` photos each, in the generator's own group mix
    (Bernoulli ``group_proportion``, as every split's people), from the population's stream: the same for every
    data seed, apart from every seed's people and photos."""
    from . import POPULATION_ENTROPY

    s_people, s_photos = np.random.SeedSequence(POPULATION_ENTROPY).spawn(2)
    persons = generate_identities(people, config, np.random.default_rng(s_people))
    split = render_photos(persons, config.images_test, POPULATION_FIRST_ID, config, np.random.default_rng(s_photos))
    return FairDataset("synthetic_identities_population", {"population": split}, target_name="smiling",
                       group_name="skin_tone", group_labels=("lighter", "darker"),
                       info={"config": asdict(config), "people": people,
                             "identities_per_group": [int((persons["group"] == g).sum()) for g in (0, 1)]})


def load_identity_population(people: int, cache: bool = True, **options) -> Split:
    """The cached population of ``make_population`` for the data options ``options`` (their sizes and seed
    ignored: the population depends on the distribution only)."""
    from . import _generated_key, _options_dataclass, cached

    if isinstance(people, bool) or not isinstance(people, int) or people < 2:
        raise ValueError(f"The synthetic_identities population is a number of people, at least 2 (for impostor "
                         f"pairs), got {people!r}.")
    config = _options_dataclass("synthetic_identities", IdentityConfig,
                                {k: v for k, v in options.items() if k not in _SAMPLE_OPTIONS})
    key = {k: v for k, v in _generated_key(config, GENERATOR_VERSION).items() if k not in _SAMPLE_OPTIONS}
    return cached("synthetic_identities_population", {**key, "population": people},
                  lambda: make_population(people, config), cache, keep=True)["population"]
