"""Procedurally rendered chest X-rays with a known generative model (the embedded medical dataset).

Grayscale frontal radiographs, 1 channel, bright = dense (bone, heart, fluid), dark = air (lungs).
Each image is drawn from an explicit generative model, so the ground truth of every label is known.
All draws come from one seeded numpy Generator per split.

Generative model, per image
---------------------------
Demographics::

    sex      ~ Bernoulli(female_proportion)                     0 = male, 1 = female
    older    ~ Bernoulli(older_proportion)                      0 = under age_threshold, 1 = at or over it
    age      ~ Uniform(20, age_threshold) or Uniform(age_threshold, 90) years, by ``older``
    g        = sex or older, whichever ``sensitive`` names       the sensitive attribute (group)

The target finding (``target``: "effusion", "opacity" or "cardiomegaly") depends on the group::

    finding  f ~ Bernoulli(prevalence[g])                        the true target
    cue        = (1 - difficulty[g]) * MAX_CUE[target] * f + Normal(0, CUE_JITTER[target])
                                                                 the size of the finding: the only cue for f
    label    y = f, flipped with probability label_noise[g]     the recorded target (report / labeler errors)

``difficulty`` shrinks the finding towards the jitter, so a group's Bayes error rises with it (small
effusions and faint opacities are missed in real radiographs too); ``label_noise`` adds errors no
model can avoid on test data. The two findings that are not the target are present with probability
``other_prevalence`` each (independently of g), at full size: they are nuisance pathology.

How each finding looks (its ``cue``, clipped at 0 where a negative size means nothing):

* effusion: fluid fills the bottom of one lung or both, up to a meniscus that climbs laterally;
  it blunts the costophrenic angle and hides the hemidiaphragm. cue = fluid height, in lung heights.
* opacity: a soft dense patch (consolidation) at a random place in one lung. cue = its contrast.
* cardiomegaly: the heart is wider: cue is added to the cardiothoracic ratio (CTR).

Anatomy linked to sex and age (present whichever attribute is sensitive). With S = sex_anatomy,
B = breast_shadows and A = age_anatomy (each 1 by default, 0 removes the effect), female in {0, 1},
older in {0, 1}, a = (age - 50) / 40::

    thorax half-width   0.80 - 0.08 * S * female + 0.02 * A * older + Normal(0, 0.04)
                        (0.80 men, 0.72 women by default)
    lung height         (0.56 + 0.04 * (1 - S * female) + 0.04 * A * a + Normal(0, 0.03)) x 0.92 on AP films:
                        taller in men and with age (hyperinflation), shorter on AP films (poor inspiration)
    diaphragm dome      Normal(0.12, 0.02) - 0.03 * A * a (flatter with age)
    CTR                 (0.44 + 0.02 * S * female + 0.04 * A * a + Normal(0, 0.025)) x 1.12 on AP films
    bone density        1 - 0.15 * S * female - A * (0.35 * max(0, age - 40) / 50
                        + 0.2 * S * female * max(0, age - 50) / 40) + Normal(0, 0.08): rib, clavicle and
                        spine brightness (osteopenia with age, more after menopause)
    breast shadows      B * female * Uniform(0.5, 1.3): soft densities over the lower lateral lung fields,
                        where an effusion or a basal opacity sits, so they make those findings harder to see
    pacemaker share     P(pacemaker | device) = 0.2 + 0.4 * A * older (else a central line)

Acquisition and devices, the possible spurious cues::

    projection  AP ~ Bernoulli(ap_rate[f])       AP (portable, bedside) vs PA; AP magnifies the heart,
                                                 lowers inspiration, leaves the scapulae over the lungs
                                                 and is noisier (pixel noise x 1.5)
    device      d  ~ Bernoulli(device_rate[f])   a central line (thin bright curve into the mediastinum) or,
                                                 more often in older patients, a pacemaker (bright box,
                                                 lead to the heart)

Both depend on the true target finding, not on the group, so where ``device_rate`` (or ``ap_rate``)
differs between its two entries the device (projection) predicts the finding without being it,
and, as prevalence differs by group, it is also correlated with the group. Equal entries remove
the shortcut. Everything else (position, tilt, zoom, rib phase, exposure, contrast, noise) is
nuisance, independent of g and f.

The default knobs put the minority group (women, 40% of images) at a lower prevalence, a
harder task and noisier labels, on a training set small enough for the small CNN to interpolate
(the regime of the paper).

Every way the two groups differ, its knob (a field of XrayConfig), its default and its equalising value
-------------------------------------------------------------------------------------------------------

For ``sensitive="sex"`` (the default; group 0 men, group 1 women)::

    difference              knob               default (men, women)        equalised by
    share of images         female_proportion  0.4 women                   0.5 (a count, not a look)
    prevalence              prevalence         0.3, 0.2                    equal entries
    finding size (cue)      difficulty         0.25, 0.55: effusion         equal entries
                                               0.338 vs 0.203 (jitter 0.08)
    label noise             label_noise        0.02, 0.05                  equal entries
    thorax, lungs, heart,   sex_anatomy        1 (the table above)         0
      bone density
    breast shadows          breast_shadows     1 (women only)              0
    AP films, devices       ap_rate,           P(AP) 0.375 vs 0.35,        equal prevalence (or equal
      (through prevalence)  device_rate        P(device) 0.225 vs 0.2      entries of each rate)

For ``sensitive="age"`` (group 0 under ``age_threshold``, 1 at or over it): share ``older_proportion``
(0.4); prevalence, difficulty and label noise as above; the age-linked anatomy (thorax, lung height,
dome, CTR, bone density) and the pacemaker share (0.2 vs 0.6 of devices) by ``age_anatomy`` (0
equalises); AP films and devices through prevalence. Sex-linked anatomy then does not differ between
the groups (sex and age are drawn independently), nor does age-linked anatomy for ``sensitive="sex"``.

With every difference equalised the two groups' images have the same distribution
(tests/test_generator_knobs.py). Two consequences of the anatomy knobs are not knobs of their own:
the breast shadows cover the lung bases where an effusion or a basal opacity sits, and a smaller
female thorax draws the same finding smaller, so women's findings are harder to see than
``difficulty`` alone says (``breast_shadows=0`` and ``sex_anatomy=0`` remove both).
fairgap.data.bayes computes the Bayes floor these knobs imply; it conditions on the latent finding
size, projection and device, so it does not see those visibility differences (it bounds what any
image classifier can reach from above).

The knobs added after the first generator (``sex_anatomy``, ``breast_shadows``, ``age_anatomy``) stay
out of ``dataclasses.asdict`` (hence out of the data cache key) while at their defaults, so the cache
entries of every earlier configuration are still found; default output is byte-identical.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from .base import FairDataset, Split, size_problems
from .synthetic_faces import leave_defaults_out_of_asdict

FINDINGS = ("effusion", "opacity", "cardiomegaly")
SENSITIVE = ("sex", "age")
MAX_CUE = {"effusion": 0.45, "opacity": 0.30, "cardiomegaly": 0.12}     # an unmistakable finding
CUE_JITTER = {"effusion": 0.08, "opacity": 0.06, "cardiomegaly": 0.025}  # spread of the size within a class

# Intensities (before exposure and contrast): air, soft tissue, aerated lung, heart, fluid.
AIR, SOFT, LUNG, HEART, FLUID = 0.04, 0.45, 0.12, 0.55, 0.52
RIB, CLAVICLE, SPINE = 0.10, 0.14, 0.12                                 # added per unit bone density
BREAST, SCAPULA, LINE, PACEMAKER = 0.10, 0.07, 0.40, 0.60


GENERATOR_VERSION = 1   # bump when generation changes, so cached X-rays of the old generator are not served


@dataclass(frozen=True)
class XrayConfig:
    """Knobs of the generator; the defaults are the default profile's data.

    target: which finding is the binary target ("effusion", "opacity" or "cardiomegaly").
    sensitive: the group attribute, "sex" (0 male, 1 female) or "age" (0 under, 1 at or over
        ``age_threshold`` years). ``prevalence``, ``difficulty`` and ``label_noise`` are per group
        of this attribute.
    female_proportion, older_proportion: share of women and of patients aged ``age_threshold`` or
        more (independent of each other).
    prevalence: P(target finding) in group 0 and group 1.
    difficulty: per group in [0, 1); 0 = a plain finding, towards 1 = no visible cue.
    label_noise: per group, probability that the recorded label is flipped.
    other_prevalence: probability of each of the two other findings (nuisance pathology).
    device_rate: P(support device | target finding absent), P(... | present): the spurious cue.
    ap_rate: P(AP projection | finding absent), P(... | present).
    pixel_noise: standard deviation of the pixel noise (PA films; AP films get 1.5 times it).
    sex_anatomy: in [0, 1], the strength of the sex-linked anatomy (women's narrower thorax, shorter
        lungs, larger CTR, lower bone density); 1 = default, 0 = women drawn with men's anatomy.
    breast_shadows: in [0, 1], the strength of the breast shadows (women only); 0 = none.
    age_anatomy: in [0, 1], the strength of the age-linked anatomy and of the pacemaker's rise with
        age; 1 = default, 0 = every patient drawn as a 50-year-old, pacemakers 0.2 of devices.
    The module docstring lists every group difference and the values that equalise it.
    """

    n_train: int = 3000
    n_val: int = 1000
    n_test: int = 2000
    image_size: int = 32
    target: str = "effusion"
    sensitive: str = "sex"
    age_threshold: float = 60.0
    female_proportion: float = 0.4
    older_proportion: float = 0.4
    prevalence: tuple[float, float] = (0.3, 0.2)
    difficulty: tuple[float, float] = (0.25, 0.55)
    label_noise: tuple[float, float] = (0.02, 0.05)
    other_prevalence: float = 0.1
    device_rate: tuple[float, float] = (0.15, 0.4)
    ap_rate: tuple[float, float] = (0.3, 0.55)
    pixel_noise: float = 0.03
    seed: int = 0
    sex_anatomy: float = 1.0
    breast_shadows: float = 1.0
    age_anatomy: float = 1.0

    def __post_init__(self):
        problems = size_problems(self, positive=("n_train", "n_test"), non_negative=("n_val",))
        if self.target not in FINDINGS:
            problems.append(f"target={self.target!r} must be one of {', '.join(FINDINGS)}")
        if self.sensitive not in SENSITIVE:
            problems.append(f"sensitive={self.sensitive!r} must be one of {', '.join(SENSITIVE)}")
        if not 20 < self.age_threshold < 90:
            problems.append(f"age_threshold={self.age_threshold} must be between 20 and 90 years")
        for name in ("female_proportion", "older_proportion"):
            if not 0 < getattr(self, name) < 1:
                problems.append(f"{name}={getattr(self, name)} must be strictly between 0 and 1")
        if not 0 <= self.other_prevalence <= 1:
            problems.append(f"other_prevalence={self.other_prevalence} must be in [0, 1]")
        if not 0 <= self.pixel_noise <= 0.5:
            problems.append(f"pixel_noise={self.pixel_noise} must be in [0, 0.5]")
        for name in DEFAULTS_ADDED_LATER:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                problems.append(f"{name}={value!r} must be a number in [0, 1]: 1 the default anatomy, "
                                "0 none (the groups' anatomy equal)")
        pairs = (("prevalence", 0, 1, "group 0, group 1"), ("difficulty", 0, 1, "group 0, group 1"),
                 ("label_noise", 0, 0.5, "group 0, group 1"), ("device_rate", 0, 1, "finding absent, present"),
                 ("ap_rate", 0, 1, "finding absent, present"))
        for name, low, high, meaning in pairs:
            value = getattr(self, name)
            try:
                ok = len(value) == 2 and all(low <= float(v) <= high for v in value)
            except (TypeError, ValueError):
                ok = False
            if not ok:
                problems.append(f"{name}={value!r} must be two numbers ({meaning}) in [{low}, {high}]")
        if not problems and max(self.difficulty) >= 1:
            problems.append(f"difficulty={self.difficulty} must be below 1 (1 would remove the finding entirely)")
        if problems:
            raise ValueError("Invalid synthetic X-ray settings: " + "; ".join(problems))
        leave_defaults_out_of_asdict(self, DEFAULTS_ADDED_LATER)

    @property
    def group_labels(self) -> tuple[str, str]:
        if self.sensitive == "sex":
            return ("male", "female")
        return (f"under {self.age_threshold:g}", f"{self.age_threshold:g} and over")


# Knobs added after the first version of the generator, with their defaults (which reproduce it).
DEFAULTS_ADDED_LATER = {"sex_anatomy": 1.0, "breast_shadows": 1.0, "age_anatomy": 1.0}


def generate_attributes(n: int, config: XrayConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw every latent variable of ``n`` radiographs; rendering is a pure function of these."""
    female = (rng.random(n) < config.female_proportion).astype(np.int64)
    older = (rng.random(n) < config.older_proportion).astype(np.int64)
    t = config.age_threshold
    age = np.where(older == 1, rng.uniform(t, 90, n), rng.uniform(20, t, n))
    group = female if config.sensitive == "sex" else older

    finding = (rng.random(n) < np.asarray(config.prevalence)[group]).astype(np.int64)
    flip = rng.random(n) < np.asarray(config.label_noise)[group]
    cues = {}
    for name in FINDINGS:
        if name == config.target:
            present = finding
            strength = (1.0 - np.asarray(config.difficulty)[group]) * MAX_CUE[name]
        else:
            present = (rng.random(n) < config.other_prevalence).astype(np.int64)
            strength = MAX_CUE[name]
        cues[name] = strength * present + rng.normal(0, CUE_JITTER[name], n)
        cues[name + "_present"] = present

    # The anatomy's sex and age terms, scaled by their knobs (x 1.0 by default: the same floats as unscaled).
    sex, aged = female * float(config.sex_anatomy), older * float(config.age_anatomy)
    age_scale = float(config.age_anatomy)
    ap = rng.random(n) < np.asarray(config.ap_rate)[finding]
    device = rng.random(n) < np.asarray(config.device_rate)[finding]
    pacemaker = device & (rng.random(n) < 0.2 + 0.4 * aged)
    age_norm = (age - 50.0) / 40.0 * age_scale
    bone = (1.0 - 0.15 * sex - 0.35 * np.maximum(0, age - 40) / 50 * age_scale
            - 0.2 * sex * np.maximum(0, age - 50) / 40 * age_scale + rng.normal(0, 0.08, n))
    ctr = (0.44 + 0.02 * sex + 0.04 * age_norm + rng.normal(0, 0.025, n)) * np.where(ap, 1.12, 1.0)
    return {
        "group": group, "female": female, "older": older, "age": age,
        "finding": finding, "label": np.where(flip, 1 - finding, finding),
        "effusion": cues["effusion"], "opacity": cues["opacity"], "cardiomegaly": cues["cardiomegaly"],
        "ap": ap, "device": device, "pacemaker": pacemaker,
        "thorax": 0.80 - 0.08 * sex + 0.02 * aged + rng.normal(0, 0.04, n),
        "lung_height": (0.56 + 0.04 * (1 - sex) + 0.04 * age_norm + rng.normal(0, 0.03, n)) * np.where(ap, 0.92, 1.0),
        "dome": rng.normal(0.12, 0.02, n) - 0.03 * age_norm,
        "ctr": ctr, "bone": np.clip(bone, 0.2, 1.3),
        "breast": female * rng.uniform(0.5, 1.3, n) * float(config.breast_shadows),
        "rib_phase": rng.uniform(0, 1, n), "rib_spacing": rng.uniform(0.20, 0.25, n),
        "effusion_side": rng.integers(0, 3, n),              # 0 image-left lung, 1 image-right, 2 both
        "opacity_side": rng.integers(0, 2, n), "opacity_u": rng.uniform(-0.6, 0.6, n),
        "opacity_v": rng.uniform(-0.5, 0.7, n), "opacity_radius": rng.uniform(0.10, 0.20, n),
        "line_side": rng.integers(0, 2, n) * 2 - 1,
        "center_x": rng.normal(0, 0.03, n), "center_y": rng.normal(0.02, 0.03, n),
        "tilt": rng.normal(0, 0.04, n), "zoom": rng.uniform(0.93, 1.05, n),
        "gamma": np.exp(rng.normal(0, 0.15, n)), "exposure": rng.uniform(0.9, 1.1, n),
        "level": rng.normal(0, 0.03, n),
    }


def _soft(inside: np.ndarray, sharpness: float) -> np.ndarray:
    """Anti-aliased mask from a signed 'inside' field (positive inside): a logistic edge, via tanh."""
    return 0.5 + 0.5 * np.tanh(inside * (0.5 * sharpness))


def _pow4(a: np.ndarray) -> np.ndarray:
    a = a * a
    return a * a


def _segment_distance(u, v, p, q):
    """Distance of each pixel (u, v) [N, S, S] to the segment p -> q (each (x [N,1,1], y [N,1,1]))."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    t = np.clip(((u - p[0]) * dx + (v - p[1]) * dy) / (dx * dx + dy * dy + 1e-9), 0, 1)
    return np.hypot(u - p[0] - t * dx, v - p[1] - t * dy)


def _polyline_mask(u, v, points, width, sharp):
    distance = np.min([_segment_distance(u, v, a, b) for a, b in zip(points[:-1], points[1:])], axis=0)
    return _soft(width - distance, sharp)


def render(attrs: dict[str, np.ndarray], size: int, pixel_noise: float, rng: np.random.Generator) -> np.ndarray:
    """Render radiographs as uint8 [N, 1, size, size]; x grows rightwards, y downwards, both in [-1, 1].

    The patient faces the viewer, so the patient's left (heart, pacemaker) is on the image right.
    """
    f32 = np.float32
    coords = np.linspace(-1, 1, size, dtype=f32)
    y, x = np.meshgrid(coords, coords, indexing="ij")
    col = lambda key: attrs[key].astype(f32)[:, None, None]  # noqa: E731 - per-image scalar as [N,1,1]
    sharp = size / 2.0

    # Patient coordinates (u, v): shifted, tilted and zoomed.
    tilt, zoom = col("tilt"), col("zoom")
    dx, dy = x[None] - col("center_x"), y[None] - col("center_y")
    u = (dx * np.cos(tilt) + dy * np.sin(tilt)) / zoom
    v = (-dx * np.sin(tilt) + dy * np.cos(tilt)) / zoom
    W, bone, ap = col("thorax"), col("bone"), col("ap")

    body = _soft(1 - _pow4(u / (W * 1.22)) - _pow4((v - 0.2) / 1.3), sharp)
    image = AIR + (SOFT - AIR) * body
    # Spine and clavicles.
    image = image + SPINE * bone * _soft(0.07 - np.abs(u), sharp)
    clavicle_v = -0.66 + 0.16 * (np.abs(u) / W - 0.2)
    image = image + CLAVICLE * bone * _soft(0.035 - np.abs(v - clavicle_v), sharp) * _soft(0.85 * W - np.abs(u), sharp)

    # Lungs: an ellipse per side, cut by a domed hemidiaphragm (lowest at the costophrenic angles).
    b, dome = col("lung_height"), col("dome")
    ly = -0.10
    lungs, lung_masks, dia = np.zeros_like(u), [], []
    for side in (-1, 1):
        lx, a = side * 0.47 * W, 0.36 * W
        across = (u - lx) / a
        diaphragm = ly + 0.72 * b - dome * (1 - across ** 2)
        mask = _soft(1 - across ** 2 - ((v - ly) / b) ** 2, sharp) * _soft(diaphragm - v, sharp)
        lung_masks.append(mask)
        dia.append(diaphragm)
        lungs = lungs + mask
    lungs = np.clip(lungs, 0, 1)
    hilum = np.exp(-((np.abs(u) - 0.25 * W) ** 2 + (v + 0.05) ** 2) / 0.05)     # vessels, brighter near the hila
    image = image * (1 - lungs) + (LUNG + 0.08 * hilum) * lungs

    # Ribs: curved stripes over the thorax; their brightness is the bone density.
    stripes = 0.5 + 0.5 * np.cos(2 * np.pi * (v - 0.35 * u * u / W - col("rib_phase")) / col("rib_spacing"))
    stripes = stripes * stripes * stripes
    ribcage = _soft(1.05 * W - np.abs(u), sharp) * _soft(v + 0.75, sharp) * _soft(ly + 0.75 * b - v, sharp)
    image = image + RIB * bone * stripes * ribcage

    # Effusion: fluid at the lung base, the meniscus higher laterally.
    fluid_height = np.maximum(col("effusion"), 0) * 1.4 * b
    effusion_side = attrs["effusion_side"]
    for index, side in enumerate((-1, 1)):
        lx, a = side * 0.47 * W, 0.36 * W
        lateral = np.clip(side * (u - lx) / a, 0, 1)
        on_side = ((effusion_side == index) | (effusion_side == 2)).astype(f32)[:, None, None]
        level = dia[index] - fluid_height * (0.7 + 0.6 * lateral)
        fluid = lung_masks[index] * _soft(v - level, sharp) * on_side * (fluid_height > 0)
        image = image * (1 - fluid) + FLUID * fluid

    # Opacity: a soft dense patch inside one lung.
    side = np.where(attrs["opacity_side"] == 1, 1.0, -1.0).astype(f32)[:, None, None]
    ou = side * 0.47 * W + col("opacity_u") * 0.36 * W
    ov = ly + col("opacity_v") * b
    patch = np.exp(-((u - ou) ** 2 + (v - ov) ** 2) / (2 * col("opacity_radius") ** 2))
    image = image + np.maximum(col("opacity"), 0) * patch * lungs

    # Heart: its half-width is CTR x thorax half-width (cardiomegaly adds to the CTR); it sits on the
    # left hemidiaphragm, offset to the patient's left (the image right).
    half_width = (col("ctr") + col("cardiomegaly")) * W
    half_height = 0.27 + 0.3 * (half_width - 0.35)
    hx, hy = 0.3 * half_width, ly + 0.72 * b - dome + 0.06 - half_height
    heart = _soft(1 - ((u - hx) / half_width) ** 2 - ((v - hy) / half_height) ** 2, sharp)
    image = image * (1 - heart) + np.maximum(image, HEART) * heart

    # Breast shadows (women) over the lower lateral lung fields; scapulae over the upper lungs on AP films.
    for side in (-1, 1):
        breast = _soft(1 - ((u - side * 0.58 * W) / (0.38 * W)) ** 2 - ((v - (ly + 0.5 * b)) / 0.3) ** 2, sharp / 2)
        image = image + BREAST * col("breast") * breast
        scapula = _soft(1 - ((u - side * 0.86 * W) / (0.2 * W)) ** 2 - ((v + 0.35) / 0.35) ** 2, sharp)
        image = image + SCAPULA * ap * scapula

    # Support devices: a central line from either shoulder into the superior vena cava, or a pacemaker
    # box below the left clavicle with its lead to the heart.
    has = np.flatnonzero(attrs["device"])
    if has.size:
        uu, vv, Wd = u[has], v[has], W[has]
        s = attrs["line_side"][has].astype(f32)[:, None, None]
        pm = attrs["pacemaker"][has].astype(f32)[:, None, None]
        line = _polyline_mask(uu, vv, [(s * 0.95 * Wd, -0.95 + 0 * Wd), (s * 0.45 * Wd, -0.62 + 0 * Wd),
                                       (0.06 * Wd, -0.42 + 0 * Wd), (0.05 * Wd, -0.12 + 0 * Wd)], 0.03, sharp)
        box = _soft(1 - _pow4((uu - 0.62 * Wd) / 0.11) - _pow4((vv + 0.52) / 0.075), sharp)
        lead = _polyline_mask(uu, vv, [(0.62 * Wd, -0.52 + 0 * Wd), (0.2 * Wd, -0.35 + 0 * Wd),
                                       (hx[has], hy[has])], 0.025, sharp)
        image[has] += (1 - pm) * LINE * line + pm * (PACEMAKER * box + LINE * lead)

    # Acquisition: contrast (gamma), exposure, window level, detector noise (more on portable AP films).
    image = np.clip(image, 0, 1) ** col("gamma") * col("exposure") + col("level")
    noise = pixel_noise * (1 + 0.5 * ap)
    image = image + rng.normal(0, 1, image.shape).astype(f32) * noise
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)[:, None]


def generate_split(n: int, config: XrayConfig, rng: np.random.Generator, batch: int = 1000) -> tuple[Split, dict]:
    attrs = generate_attributes(n, config, rng)
    chunks = [render({k: v[i:i + batch] for k, v in attrs.items()}, config.image_size, config.pixel_noise, rng)
              for i in range(0, n, batch)]
    images = np.concatenate(chunks) if chunks else np.zeros((0, 1, config.image_size, config.image_size), np.uint8)
    split = Split(torch.from_numpy(images), torch.from_numpy(attrs["label"]), torch.from_numpy(attrs["group"]))
    return split, attrs


def summarize(attrs: dict[str, np.ndarray]) -> dict:
    """Per group: size, true prevalence, recorded-label agreement, P(device | f), P(AP | f)."""
    out = {}
    for g in (0, 1):
        in_group = attrs["group"] == g
        row = {"n": int(in_group.sum())}
        if row["n"]:
            f = attrs["finding"][in_group]
            row["prevalence"] = float(f.mean())
            row["label_agreement"] = float((attrs["label"][in_group] == f).mean())
            for key in ("device", "ap"):
                for value in (0, 1):
                    chosen = attrs[key][in_group][f == value]
                    row[f"P({key} | finding={value})"] = float(chosen.mean()) if chosen.size else float("nan")
        out[str(g)] = row
    return out


def described(config: XrayConfig) -> tuple[str, str, tuple[str, ...]]:
    """What the target and the groups are: (target name, group name, group labels)."""
    return config.target, config.sensitive, config.group_labels


def make_synthetic_xray(config: XrayConfig) -> FairDataset:
    """Generate all splits; each split has its own random stream, so n_test does not change train."""
    streams = np.random.SeedSequence(config.seed).spawn(3)
    splits, summary = {}, {}
    for (name, n), stream in zip((("train", config.n_train), ("val", config.n_val), ("test", config.n_test)), streams):
        if n == 0:
            continue
        splits[name], attrs = generate_split(n, config, np.random.default_rng(stream))
        summary[name] = summarize(attrs)
    return FairDataset("synthetic_xray", splits, *described(config), info={"config": asdict(config), "groups": summary})
