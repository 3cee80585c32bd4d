"""Procedurally rendered faces of known identities, for face verification (the embedded default).

Each identity is a person with fixed traits and a code of its own; each of its images is a new photograph
of that person. The images are rendered by ``fairgap.data.synthetic_faces.render`` (plus the identity's
texture, drawn here) and the per-image nuisance comes from ``synthetic_faces.generate_attributes``; this
module decides which latent variables belong to the person and which to the photograph.

Generative model (all draws from seeded numpy Generators):

    per identity k
        group  g_k ~ Bernoulli(train_group_proportion) for the training people,
                     Bernoulli(group_proportion) for unseen people and the population
                                                         sensitive attribute: skin tone (0 lighter, 1 darker)
        code     c_k ~ Normal(0, diag(v[g_k])), code_dims numbers: v = 1 on the group's own axes (group 0:
                 the first half of the code's axes, group 1: the second half), code_overlap on the other
                 group's; rendered as a texture on the face, code_strength * sqrt(2 / code_dims) *
                 sum_j c_kj B_j(face coords) (standard deviation code_strength at unit variance), the same
                 grey on every channel, added to the skin (so its contrast does not depend on the skin
                 colour), B_j fixed smooth cosine patterns (CODE_BASIS_SEED)
        spread   = trait_spread[g_k]                     (1, 1) by default: the groups are not scaled copies
        skin tint      1 + spread * Normal(0, SKIN_SPREAD)        (3 channels, multiplies the group's skin colour)
        face size      FACE_SIZE + spread * Normal(0, FACE_SIZE_SPREAD)
        hair colour    with prob. spread uniform over the palette, else the group's common colour
        hair height    HAIR_HEIGHT + spread * Uniform(-1, 1) * HAIR_HEIGHT_SPREAD
        eye size       EYE_SIZE + spread * Uniform(-1, 1) * EYE_SIZE_SPREAD
    per image of identity k  (generate_attributes' draws, shrunk towards their middle by ``nuisance``)
        pose (head position), distance (face size x (1 +- 3%)), expression (smile or not, its strength),
        glasses (an accessory), background, lighting direction and strength, brightness,
        a small per-photo colour cast of the skin, pixel noise.

Every way the groups differ, each a knob (``IdentityConfig``):

    difference                        knob                      default
    skin colour (the attribute)       rendered by synthetic_faces   its ``SKIN`` rows; the mouth stroke is the
                                                                skin times a tint (its ``mouth_contrast``
                                                                "relative"), drawn but no identity cue
    the axes a person's code varies   code_overlap              0.25: each group varies mostly along its own
                                                                half of the code's axes
    share of the training people      train_group_proportion    0.2 darker (unseen people: group_proportion 0.5)
    how much people differ            trait_spread              (1.0, 1.0): equal
    common hair colour                COMMON_HAIR               brown (group 0), black (group 1)

Why this makes the paper's mechanism possible: a person is told apart mostly by a code no other person
shares, so a network can memorise its training people (including the few darker ones) without learning
what tells unseen people of a group apart; and since the groups vary along different axes, what it learns
from the many lighter training people does not transfer to the darker group. ``code_overlap=1`` and
``train_group_proportion=group_proportion`` equalise both differences.

The target, and how the defaults were set. Verification must work on unseen people (the better-off group's
population TAR@0.01 at least 0.5 with notebook 05's default profile: 40 training people, 6 photos each), and the
training people's *new* photos must not be verified perfectly, or nothing could be learned about them. From a pilot
on seeds 1000-1001 (margin loss only, population TAR@0.01 lighter / darker, new photos of training people):
code_strength 0.12 reached 0.78 / 0.47 on the population (0.44 / 0.17 at TAR@0.001) but verified new photos of
training people at 1.00 / 1.00 (the ceiling); nuisance 1.0 at 0.12 gave 0.44 / 0.26 (under the target); 0.06 gives
0.69 / 0.22, and 0.98 / 0.86 on new photos: the default.

Splits (``identity`` holds a person's number, unique across the dataset):

* ``train``: ``images_train`` images of each of ``n_train_identities`` identities,
* ``val``: ``images_val`` further images of the SAME training identities (new photos of them),
* ``test``: ``images_test`` images of each of ``n_test_identities`` UNSEEN identities.

``target`` is whether the person smiles in that photo (a per-image attribute), so the data
can also serve classification; verification uses ``identity`` and ``group``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from .base import FairDataset, Split, size_problems
from .synthetic_faces import DEFAULTS_ADDED_LATER as FACE_KNOBS, HAIR, FaceConfig, generate_attributes, render

SKIN_SPREAD = 0.10          # sd of the per-identity skin tint (relative) at spread 1
FACE_SIZE, FACE_SIZE_SPREAD = 0.95, 0.06
HAIR_HEIGHT, HAIR_HEIGHT_SPREAD = 0.30, 0.15
EYE_SIZE, EYE_SIZE_SPREAD = 0.065, 0.015
COMMON_HAIR = (1, 0)        # the most common hair colour of group 0 (brown) and group 1 (black)
PHOTO_SKIN_CAST = 0.015     # sd of a per-photo colour cast of the skin (relative)
# Middle of each nuisance range of generate_attributes; ``nuisance`` shrinks draws towards it.
_NUISANCE_MIDDLE = {"center_x": 0.0, "center_y": 0.04, "background": 0.5, "light_strength": 0.0, "brightness": 0.975}


CODE_BASIS_SEED = 20261207   # the code's texture patterns: the same for every dataset, seed and group
CODE_FREQUENCIES = (0.5, 3.0)  # cycles across the face of each pattern, per axis (uniform)

GENERATOR_VERSION = 2   # 2: identity codes, group axes, the training people's group share; bump when generation changes, so cached identities of the old generator are not served


@dataclass(frozen=True)
class IdentityConfig:
    """Knobs of the identity generator; the defaults are the default profile's data.

    trait_spread: per group, how much identities' global traits differ (1 = the full spread; smaller = more
        alike, so harder to verify).
    code_dims: length of each person's code (the texture that tells people apart).
    code_strength: the texture's amplitude (standard deviation of its grey, 0-1 pixel units, at unit code).
    code_overlap: a person's code variance along the other group's axes, relative to its own (1: the groups
        vary along the same axes).
    train_group_proportion: share of the darker group among the training people (``group_proportion``: among
        unseen people and the population).
    skin, mouth_contrast: the groups' skin colours and how the mouth stroke is coloured, as in
        ``synthetic_faces.FaceConfig`` (equal ``skin`` rows equalise both).
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
    train_group_proportion: float = 0.2
    trait_spread: tuple[float, float] = (1.0, 1.0)
    code_dims: int = 32
    code_strength: float = 0.06
    code_overlap: float = 0.25
    nuisance: float = 0.6
    glasses_rate: float = 0.25
    smile_rate: float = 0.5
    pixel_noise: float = 0.03
    seed: int = 0
    skin: tuple[tuple[float, float, float], tuple[float, float, float]] = FACE_KNOBS["skin"]
    mouth_contrast: str = FACE_KNOBS["mouth_contrast"]

    def __post_init__(self):
        problems = size_problems(self, positive=("n_train_identities", "n_test_identities", "images_train",
                                                 "images_test"), non_negative=("images_val",))
        for name in ("group_proportion", "train_group_proportion"):
            if not 0 < getattr(self, name) < 1:
                problems.append(f"{name}={getattr(self, name)} must be strictly between 0 and 1")
        if isinstance(self.code_dims, bool) or not isinstance(self.code_dims, int) or self.code_dims < 2 \
                or self.code_dims % 2:
            problems.append(f"code_dims={self.code_dims!r} must be an even whole number of at least 2 (half the "
                            "axes are each group's own)")
        if self.code_strength < 0:
            problems.append(f"code_strength={self.code_strength} must be 0 or more")
        if not 0 <= self.code_overlap <= 1:
            problems.append(f"code_overlap={self.code_overlap} must be in [0, 1]")
        if len(self.trait_spread) != 2 or not all(0 < s <= 1 for s in self.trait_spread):
            problems.append(f"trait_spread={self.trait_spread} must be two numbers (group 0, group 1) in (0, 1]")
        if not 0 <= self.nuisance <= 1:
            problems.append(f"nuisance={self.nuisance} must be in [0, 1]")
        for name in ("glasses_rate", "smile_rate"):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name}={getattr(self, name)} must be in [0, 1]")
        if self.pixel_noise < 0:
            problems.append(f"pixel_noise={self.pixel_noise} must be 0 or more")
        try:   # the face generator checks (and makes hashable) its own knobs
            object.__setattr__(self, "skin", self.face_config(1).skin)
        except ValueError as error:
            problems.append(str(error).removeprefix("Invalid synthetic face settings: "))
        if problems:
            raise ValueError("Invalid synthetic identity settings: " + "; ".join(problems))

    def face_config(self, n: int) -> FaceConfig:
        """The face generator's settings for ``n`` photos: every photo smiles at ``smile_rate``, whatever its group."""
        return FaceConfig(n_train=max(n, 1), base_rate=(self.smile_rate, self.smile_rate), difficulty=(0.3, 0.3),
                          label_noise=(0.0, 0.0), image_size=self.image_size, skin=self.skin,
                          mouth_contrast=self.mouth_contrast)


def code_variances(config: IdentityConfig) -> np.ndarray:
    """[2, code_dims]: per group, the variance of a person's code along each axis (1 on its own half)."""
    half = config.code_dims // 2
    own = np.r_[np.ones(half), np.full(half, config.code_overlap)]
    return np.stack([own, own[::-1]])


def generate_identities(n: int, config: IdentityConfig, rng: np.random.Generator,
                        group_proportion: float | None = None) -> dict[str, np.ndarray]:
    """The fixed traits of ``n`` people: group, code and what the renderer needs to draw them (``group_proportion``
    None: the config's, for unseen people and the population)."""
    share = config.group_proportion if group_proportion is None else group_proportion
    group = (rng.random(n) < share).astype(np.int64)
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
        # drawn last, so that the traits above do not depend on the code's length
        "code": rng.standard_normal((n, config.code_dims)) * np.sqrt(code_variances(config)[group]),
    }


def _code_basis(dims: int) -> np.ndarray:
    """[dims, 4]: each texture pattern's frequencies across and down the face (cycles) and phase, and a
    random sign; fixed by CODE_BASIS_SEED."""
    rng = np.random.default_rng(CODE_BASIS_SEED)
    freq = rng.uniform(*CODE_FREQUENCIES, (dims, 2)) * rng.choice([-1, 1], (dims, 2))
    return np.c_[freq, rng.uniform(0, 2 * np.pi, dims), np.ones(dims)]


def code_texture(attrs: dict[str, np.ndarray], size: int, strength: float) -> np.ndarray:
    """[N, size, size] float32: each photo's identity texture in face coordinates (it moves and scales with the
    head), ``strength * sqrt(2 / dims) * sum_j code_j B_j`` inside the face ellipse of ``render``."""
    code = attrs["code"].astype(np.float32)
    n, dims = code.shape
    coords = np.linspace(-1, 1, size, dtype=np.float32)
    y, x = np.meshgrid(coords, coords, indexing="ij")
    scale = attrs["scale"].astype(np.float32)[:, None, None]
    u = (x[None] - attrs["center_x"].astype(np.float32)[:, None, None]) / (0.52 * scale)
    v = (y[None] - attrs["center_y"].astype(np.float32)[:, None, None]) / (0.66 * scale)
    texture = np.zeros((n, size, size), dtype=np.float32)
    for j, (fu, fv, phase, _) in enumerate(_code_basis(dims).astype(np.float32)):
        texture += code[:, j, None, None] * np.cos(np.pi * (fu * u + fv * v) + phase)
    inside = (u ** 2 + v ** 2 < 1).astype(np.float32)
    return texture * inside * np.float32(strength * np.sqrt(2.0 / dims))


def photo_attributes(people: dict[str, np.ndarray], person: np.ndarray, config: IdentityConfig,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Attributes of one photo of each entry of ``person`` (indices into ``people``), ready for render()."""
    n = len(person)
    attrs = generate_attributes(n, config.face_config(n), rng)
    for key, middle in _NUISANCE_MIDDLE.items():
        attrs[key] = middle + config.nuisance * (attrs[key] - middle)
    attrs["glasses"] = rng.random(n) < config.glasses_rate
    attrs["group"] = people["group"][person]
    attrs["skin_jitter"] = people["skin_jitter"][person] * rng.normal(1.0, PHOTO_SKIN_CAST, (n, 3))
    attrs["scale"] = people["scale"][person] * rng.uniform(0.97, 1.03, n)
    for key in ("hair", "hair_height", "eye_size", "code"):
        attrs[key] = people[key][person]
    return attrs


def render_photos(people: dict[str, np.ndarray], per_person: int, first_id: int, config: IdentityConfig,
                  rng: np.random.Generator, batch: int = 2000) -> Split:
    """``per_person`` photos of every person, grouped by person; identity numbers start at ``first_id``."""
    person = np.repeat(np.arange(len(people["group"])), per_person)
    attrs = photo_attributes(people, person, config, rng)
    chunks = []
    for i in range(0, len(person), batch):
        chunk = {k: v[i:i + batch] for k, v in attrs.items()}
        chunk["texture"] = code_texture(chunk, config.image_size, config.code_strength)
        chunks.append(render(chunk, config.image_size, config.pixel_noise, rng))
    images = np.concatenate(chunks)
    return Split(torch.from_numpy(images), torch.from_numpy(attrs["smile"].astype(np.int64)),
                 torch.from_numpy(attrs["group"].astype(np.int64)),
                 torch.from_numpy((person + first_id).astype(np.int64)))


def make_synthetic_identities(config: IdentityConfig) -> FairDataset:
    """All three splits. Separate random streams: the training people and their photos do not
    change when the number of unseen people (or of their photos) changes, and vice versa."""
    s_train_people, s_test_people, s_train, s_val, s_test = np.random.SeedSequence(config.seed).spawn(5)
    train_people = generate_identities(config.n_train_identities, config, np.random.default_rng(s_train_people),
                                       config.train_group_proportion)
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
_SAMPLE_OPTIONS = ("seed", "n_train_identities", "n_test_identities", "images_train", "images_val",
                   "train_group_proportion")


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
