"""Procedurally rendered faces with a known generative model (the embedded default dataset).

Generative model, per image (all draws from one seeded numpy Generator):

    group  g ~ Bernoulli(group_proportion)                  sensitive attribute: skin tone (0 lighter, 1 darker)
    smile  s ~ Bernoulli(base_rate[g])                       the true target
    lift     = (1 - difficulty[g]) * MAX_LIFT * (2s - 1) + Normal(0, LIFT_JITTER)
                                                             how far the mouth corners rise: the cue for s
    label  y = s, flipped with probability label_noise[g]    the observed (recorded) target
    skin     = skin[g] * Normal(1, 0.06) per channel         the face's colour
    mouth    = skin * 1.3 * MOUTH_TINT  ("relative")         the mouth stroke's colour
             or skin - mouth_shift(config)  ("absolute")

Every way the two groups differ, its knob (a field of FaceConfig) and its default value:

    ==================  ==========================  ==========================================================
    difference          knob                        default (group 0 lighter, group 1 darker)
    ==================  ==========================  ==========================================================
    share of images     group_proportion            0.3 darker (the minority)
    base rate           base_rate                   P(smile) 0.5, 0.35
    label noise         label_noise                 P(label flipped) 0.02, 0.05
    smile cue strength  difficulty                  0.2, 0.45: lift ±0.128 vs ±0.088 (MAX_LIFT 0.16), both
                                                    with jitter 0.05, so the darker group's cue is weaker
    skin colour         skin                        RGB (0.93, 0.78, 0.66), (0.45, 0.31, 0.22)
    mouth-skin contrast mouth_contrast, skin        "relative": the mouth is the skin times 1.3 x MOUTH_TINT,
                                                    so its difference from the skin scales with the skin:
                                                    skin x (1 - 1.3 x tint) = (0.265, 0.658, 0.531) lighter,
                                                    (0.128, 0.262, 0.177) darker. The darker group's mouth
                                                    stands out 0.385 as much (RGB distance 0.341 vs 0.887;
                                                    0.40 in luminance; 0.386 measured on rendered pixels),
                                                    so its smile is harder to see
    ==================  ==========================  ==========================================================

Equalising a difference (what an ablation sets): group_proportion=0.5 (the share changes how many
examples a group has, not how its images look); equal entries of base_rate, label_noise, difficulty;
both rows of ``skin`` the same colour (which also equalises the mouth contrast, in either mode); or,
keeping the skin colours, ``mouth_contrast="absolute"``: the mouth differs from the skin by the same
RGB vector in both groups, ``mouth_shift(config)`` = darker skin row x (1 - 1.3 x MOUTH_TINT) (the
darker group's default difference), which keeps the darker group's mouth and lowers the lighter
group's contrast to it (raising the darker group's to the lighter's would need mouth colours below
0). With every one equalised the two groups' images have the same distribution
(tests/test_generator_knobs.py).

Everything else is nuisance, independent of g and s: head position and size, skin jitter, hair
colour, glasses, eye size, background, lighting direction and strength, pixel noise. ``difficulty``
shrinks the smile cue towards the jitter, so the Bayes error of a group rises with it; a network
can still memorise its training images (interpolate), which is the regime the paper studies.
``label_noise`` adds errors no model can avoid on test data. fairgap.data.bayes computes the Bayes
floor these knobs imply (the best any classifier of the observed label can do per group).

The knobs added after the first generator (``skin``, ``mouth_contrast``) stay out of
``dataclasses.asdict`` (hence out of the data cache key) while at their defaults, so the cache
entries of every earlier configuration are still found; default output is byte-identical.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from .base import FairDataset, Split, size_problems

GENERATOR_VERSION = 2   # bump when rendering changes, so cached images of the old renderer are not served

MAX_LIFT = 0.16      # corner lift of an unmistakable smile, in units of half the image width
LIFT_JITTER = 0.05   # spread of the lift within a class
SKIN = np.array([[0.93, 0.78, 0.66], [0.45, 0.31, 0.22]], dtype=np.float32)   # default ``skin``
MOUTH_TINT = (0.55, 0.12, 0.15)   # "relative" mouth: skin * MOUTH_GAIN * MOUTH_TINT
MOUTH_GAIN = 1.3
MOUTH_CONTRASTS = ("relative", "absolute")
HAIR = np.array([[0.08, 0.06, 0.05], [0.40, 0.24, 0.12], [0.85, 0.72, 0.40],
                 [0.62, 0.25, 0.10], [0.70, 0.70, 0.70]], dtype=np.float32)


def leave_defaults_out_of_asdict(config, defaults: dict) -> None:
    """Hide the fields named in ``defaults`` from ``dataclasses.asdict(config)`` while they hold those values.

    A generated dataset's cache key is ``dataclasses.asdict`` of its config (fairgap.data._generated_key):
    a knob added later would otherwise change the key of every existing configuration and discard its
    cached data although the data are the same. ``fields(config)`` (and so ``asdict``) reads the
    instance's ``__dataclass_fields__``, which this sets to the class's less those fields; the class
    (``fields(FaceConfig)``, the valid options), ``==``, ``hash`` and ``dataclasses.replace`` are unchanged.
    """
    hidden = {name for name, value in defaults.items() if getattr(config, name) == value}
    if hidden:
        object.__setattr__(config, "__dataclass_fields__",
                           {k: f for k, f in type(config).__dataclass_fields__.items() if k not in hidden})


@dataclass(frozen=True)
class FaceConfig:
    """Knobs of the generator; the defaults are the default profile's data.

    group_proportion: share of group 1 ("darker"), the minority by default.
    base_rate: P(smiling) in group 0 and group 1.
    difficulty: per group in [0, 1]; 0 = a plain smile, towards 1 = no visible cue.
    label_noise: per group, probability that the recorded label is flipped.
    skin: per group, the RGB skin colour (each channel in [0, 1]); default SKIN.
    mouth_contrast: "relative" (default): the mouth is the skin times 1.3 x MOUTH_TINT, so the
        mouth-skin contrast of the darker group is 0.385 of the lighter's; "absolute": the mouth is the
        skin minus the same RGB difference in both groups (the darker row's relative difference).
    The module docstring lists every group difference and the values that equalise it.
    """

    n_train: int = 1000
    n_val: int = 1000
    n_test: int = 2000
    image_size: int = 32
    group_proportion: float = 0.3
    base_rate: tuple[float, float] = (0.5, 0.35)
    difficulty: tuple[float, float] = (0.2, 0.45)
    label_noise: tuple[float, float] = (0.02, 0.05)
    pixel_noise: float = 0.04
    seed: int = 0
    skin: tuple[tuple[float, float, float], tuple[float, float, float]] = (
        (0.93, 0.78, 0.66), (0.45, 0.31, 0.22))
    mouth_contrast: str = "relative"

    def __post_init__(self):
        problems = size_problems(self, positive=("n_train", "n_test"), non_negative=("n_val",))
        if not 0 < self.group_proportion < 1:
            problems.append(f"group_proportion={self.group_proportion} must be strictly between 0 and 1")
        for name, low, high in (("base_rate", 0, 1), ("difficulty", 0, 1), ("label_noise", 0, 0.5)):
            value = getattr(self, name)
            if len(value) != 2 or not all(low <= v <= high for v in value):
                problems.append(f"{name}={value} must be two numbers (group 0, group 1) in [{low}, {high}]")
        try:
            skin = tuple(tuple(float(c) for c in row) for row in self.skin)
            ok = len(skin) == 2 and all(len(row) == 3 and all(0 <= c <= 1 for c in row) for row in skin)
        except (TypeError, ValueError):
            ok = False
        if ok:
            object.__setattr__(self, "skin", skin)   # lists (JSON options) become tuples: hashable, one key
        else:
            problems.append(f"skin={self.skin!r} must be two RGB colours (group 0, group 1), each three numbers "
                            f"in [0, 1], e.g. {DEFAULTS_ADDED_LATER['skin']} (the default)")
        if self.mouth_contrast not in MOUTH_CONTRASTS:
            problems.append(f"mouth_contrast={self.mouth_contrast!r} must be 'relative' (the mouth is the skin "
                            "times a tint, the default) or 'absolute' (the same mouth-skin difference in both "
                            "groups); pass one of these")
        if problems:
            raise ValueError("Invalid synthetic face settings: " + "; ".join(problems))
        leave_defaults_out_of_asdict(self, DEFAULTS_ADDED_LATER)


# Knobs added after the first version of the generator, with their defaults (which reproduce it).
DEFAULTS_ADDED_LATER = {"skin": ((0.93, 0.78, 0.66), (0.45, 0.31, 0.22)), "mouth_contrast": "relative"}


def mouth_shift(config: FaceConfig) -> np.ndarray:
    """The RGB difference skin - mouth that "absolute" mouth contrast gives both groups: the darker skin
    row's "relative" difference, darker row x (1 - MOUTH_GAIN x MOUTH_TINT)."""
    skin = np.asarray(config.skin, dtype=np.float64)
    darker = skin[np.argmin(skin.mean(axis=1))]
    return darker * (1 - MOUTH_GAIN * np.asarray(MOUTH_TINT))


def generate_attributes(n: int, config: FaceConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw every latent variable of ``n`` faces; rendering is a pure function of these."""
    group = (rng.random(n) < config.group_proportion).astype(np.int64)
    smile = (rng.random(n) < np.asarray(config.base_rate)[group]).astype(np.int64)
    strength = (1.0 - np.asarray(config.difficulty)[group]) * MAX_LIFT
    lift = strength * (2 * smile - 1) + rng.normal(0, LIFT_JITTER, n)
    flip = rng.random(n) < np.asarray(config.label_noise)[group]
    return {
        "group": group, "smile": smile, "label": np.where(flip, 1 - smile, smile), "lift": lift,
        "center_x": rng.normal(0, 0.05, n), "center_y": rng.normal(0.04, 0.05, n),
        "scale": rng.uniform(0.85, 1.05, n), "skin_jitter": rng.normal(1.0, 0.06, (n, 3)),
        "hair": rng.integers(0, len(HAIR), n), "hair_height": rng.uniform(0.15, 0.45, n),
        "glasses": rng.random(n) < 0.3, "eye_size": rng.uniform(0.05, 0.08, n),
        "background": rng.uniform(0.15, 0.85, (n, 3)), "light_angle": rng.uniform(0, 2 * np.pi, n),
        "light_strength": rng.uniform(0.0, 0.35, n), "brightness": rng.uniform(0.8, 1.15, n),
        # The knobs render() needs, per image (a population is assembled by selecting rows, and
        # synthetic_identities reassigns "group" afterwards): both groups' skin colours; the mouth rule.
        "skin_palette": np.broadcast_to(np.asarray(config.skin, dtype=np.float32), (n, 2, 3)).copy(),
        "mouth_absolute": np.full(n, config.mouth_contrast == "absolute"),
        "mouth_shift": np.broadcast_to(mouth_shift(config).astype(np.float32), (n, 3)).copy(),
    }


def _soft(inside: np.ndarray, sharpness: float) -> np.ndarray:
    """Anti-aliased mask from a signed 'inside' field (positive inside)."""
    return 1.0 / (1.0 + np.exp(-np.clip(inside * sharpness, -30, 30)))


def _skin_rows(attrs: dict[str, np.ndarray]) -> np.ndarray:
    """Each image's skin colour before jitter, [N, 3] float32: its group's row of its ``skin_palette``."""
    palette = attrs.get("skin_palette")
    if palette is None:   # attributes drawn without the knobs: the default colours
        return SKIN[attrs["group"]]
    return palette[np.arange(len(palette)), attrs["group"]]


def _mouth_colour(attrs: dict[str, np.ndarray], skin: np.ndarray) -> np.ndarray:
    """Each image's mouth colour, [N, 3] float32, from its (jittered) skin colour and the mouth rule."""
    n = len(skin)
    relative = np.tile([MOUTH_TINT], (n, 1)).astype(np.float32) * skin * MOUTH_GAIN
    absolute = attrs.get("mouth_absolute")
    if absolute is None or not absolute.any():
        return relative
    shifted = np.clip(skin - attrs["mouth_shift"].astype(np.float32), 0, 1)
    return np.where(absolute[:, None], shifted, relative)


def render(attrs: dict[str, np.ndarray], size: int, pixel_noise: float, rng: np.random.Generator) -> np.ndarray:
    """Render faces as uint8 [N, 3, size, size]; x grows rightwards, y downwards, both in [-1, 1]."""
    n = len(attrs["group"])
    coords = np.linspace(-1, 1, size, dtype=np.float32)
    y, x = np.meshgrid(coords, coords, indexing="ij")
    x, y = x[None], y[None]
    col = lambda key: attrs[key].astype(np.float32)[:, None, None]  # noqa: E731 - per-image scalar as [N,1,1]
    sharp = size / 2.0
    cx, cy, scale = col("center_x"), col("center_y"), col("scale")
    rx, ry = 0.52 * scale, 0.66 * scale

    image = np.broadcast_to(attrs["background"].astype(np.float32)[:, :, None, None], (n, 3, size, size)).copy()

    def paint(mask: np.ndarray, colour: np.ndarray) -> None:
        # image ← image·(1 − mask) + colour·mask, in place with one temporary (rendering is memory-bound)
        layer = colour[:, :, None, None] - image
        layer *= mask[:, None]
        np.add(image, layer, out=image)

    hair_top = cy - ry - col("hair_height") * scale
    hair = _soft(1 - ((x - cx) / (rx * 1.12)) ** 2 - ((y - (cy + hair_top) / 2) / ((cy - hair_top) * 0.9 + 0.2)) ** 2, sharp)
    hair *= _soft(cy - 0.2 * ry - y, sharp)
    paint(hair, HAIR[attrs["hair"]])

    face = _soft(1 - ((x - cx) / rx) ** 2 - ((y - cy) / ry) ** 2, sharp)
    skin = np.clip(_skin_rows(attrs) * attrs["skin_jitter"].astype(np.float32), 0, 1)
    paint(face, skin)
    if "texture" in attrs:   # synthetic_identities: a person's code, grey, added to the skin inside the face
        image += (attrs["texture"] * face)[:, None]

    eye_y = cy - 0.18 * ry
    eye_r = col("eye_size") * scale
    for side in (-1, 1):
        eye_x = cx + side * 0.38 * rx
        dist = np.sqrt((x - eye_x) ** 2 + (y - eye_y) ** 2)
        paint(_soft(eye_r - dist, sharp), np.tile([[0.05, 0.05, 0.08]], (n, 1)).astype(np.float32))
        ring = _soft(0.035 - np.abs(dist - 2.4 * eye_r), sharp) * col("glasses")
        paint(ring, np.tile([[0.1, 0.1, 0.1]], (n, 1)).astype(np.float32))

    # Mouth: a curved stroke whose corners rise by `lift` (a smile) or drop (a frown).
    mouth_y, half_width = cy + 0.45 * ry, 0.42 * rx
    u = (x - cx) / half_width
    curve = mouth_y - col("lift") * scale * u ** 2
    stroke = _soft(0.045 * scale - np.abs(y - curve), sharp) * _soft(1 - np.abs(u), sharp * half_width)
    paint(stroke * face, _mouth_colour(attrs, skin))

    angle = attrs["light_angle"].astype(np.float32)[:, None, None]
    light = col("brightness") * (1 + col("light_strength") * (x * np.cos(angle) + y * np.sin(angle)))
    image *= light[:, None]
    image += rng.standard_normal(image.shape, dtype=np.float32) * np.float32(pixel_noise)
    np.clip(image, 0, 1, out=image)
    image *= 255
    image += 0.5
    return image.astype(np.uint8)


def generate_split(n: int, config: FaceConfig, rng: np.random.Generator, batch: int = 2000) -> tuple[Split, dict]:
    attrs = generate_attributes(n, config, rng)
    chunks = [render({k: v[i:i + batch] for k, v in attrs.items()}, config.image_size, config.pixel_noise, rng)
              for i in range(0, n, batch)]
    images = np.concatenate(chunks) if chunks else np.zeros((0, 3, config.image_size, config.image_size), np.uint8)
    split = Split(torch.from_numpy(images), torch.from_numpy(attrs["label"]), torch.from_numpy(attrs["group"]))
    return split, attrs


def described(config: FaceConfig) -> tuple[str, str, tuple[str, str]]:
    """What the target and the groups are: (target name, group name, group labels)."""
    return "smiling", "skin_tone", ("lighter", "darker")


def make_synthetic_faces(config: FaceConfig) -> FairDataset:
    """Generate all splits; each split has its own random stream, so n_test does not change train."""
    streams = np.random.SeedSequence(config.seed).spawn(3)
    splits, clean = {}, {}
    for (name, n), stream in zip((("train", config.n_train), ("val", config.n_val), ("test", config.n_test)), streams):
        if n == 0:
            continue
        splits[name], attrs = generate_split(n, config, np.random.default_rng(stream))
        clean[name] = float((attrs["label"] == attrs["smile"]).mean())
    return FairDataset("synthetic_faces", splits, *described(config),
                       info={"config": asdict(config), "label_agreement_with_truth": clean})
