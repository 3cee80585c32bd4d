"""Every way the two groups of a generated dataset differ is a named knob: with every knob equalised the two
groups' images have the same distribution (nothing unlisted differs), with the defaults they do not.
Default output is byte-identical to the generators before the knobs were added, and so is the data cache key.

The image comparison: 4,000 images per group at 16 px. For each pixel and channel, the difference of
the two groups' means over its standard error (from the per-image values of each group) is a z-score,
Normal(0, 1) when the distributions agree; likewise the difference of the variances (standard error
from the per-image squared deviations) and of the per-image share of pixels in each of 8 intensity
bins per channel (the pixel histogram, per image so that images, not correlated pixels, are the
independent samples). With 768 + 768 + 24 z-scores per comparison, |z| < 5 holds with probability
above 0.999 when the groups agree (Bonferroni: 1,560 x 5.7e-7); the default faces reach |z| > 100.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from fairgap.data import _generated_key, _options_dataclass
from fairgap.data import synthetic_faces as faces
from fairgap.data import synthetic_identities as identities
from fairgap.data import synthetic_xray as xray
from fairgap.data.cache import options_hash

PER_GROUP = 4000
SIZE = 16
AGREE = 5.0

MID_SKIN = (0.69, 0.545, 0.44)
FACES_EQUAL = dict(group_proportion=0.5, base_rate=(0.4, 0.4), difficulty=(0.3, 0.3), label_noise=(0.03, 0.03),
                   skin=(MID_SKIN, MID_SKIN))
XRAY_EQUAL = dict(female_proportion=0.5, prevalence=(0.25, 0.25), difficulty=(0.4, 0.4), label_noise=(0.03, 0.03),
                  sex_anatomy=0.0, breast_shadows=0.0)
XRAY_AGE_EQUAL = dict(sensitive="age", older_proportion=0.5, prevalence=(0.25, 0.25), difficulty=(0.4, 0.4),
                      label_noise=(0.03, 0.03), age_anatomy=0.0)


def images_by_group(module, config, seed: int = 0) -> list[np.ndarray]:
    """PER_GROUP images of each group (float, [N, C, S, S]), drawn by the generator with ``config``."""
    rng = np.random.default_rng(seed)
    attrs = module.generate_attributes(5 * PER_GROUP, config, rng)     # enough of a 0.3 share
    keep = np.concatenate([np.flatnonzero(attrs["group"] == g)[:PER_GROUP] for g in (0, 1)])
    assert len(keep) == 2 * PER_GROUP
    attrs = {k: v[keep] for k, v in attrs.items()}
    images = np.concatenate([module.render({k: v[i:i + 1000] for k, v in attrs.items()}, SIZE, config.pixel_noise, rng)
                             for i in range(0, len(keep), 1000)]).astype(np.float64) / 255
    return [images[:PER_GROUP], images[PER_GROUP:]]


def _z(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """z-scores of the difference of the per-column means of samples a and b (rows are independent)."""
    se = np.sqrt(a.var(0, ddof=1) / len(a) + b.var(0, ddof=1) / len(b))
    diff = a.mean(0) - b.mean(0)
    return np.where(se > 0, diff / np.where(se > 0, se, 1), np.where(diff == 0, 0.0, np.inf))


def largest_z(groups: list[np.ndarray]) -> dict[str, float]:
    """The largest |z| of the per-pixel mean, per-pixel variance and per-image histogram comparisons."""
    a, b = (g.reshape(len(g), -1) for g in groups)
    mean_z = _z(a, b)
    var_z = _z((a - a.mean(0)) ** 2, (b - b.mean(0)) ** 2)
    channels = groups[0].shape[1]
    hist = [np.stack([((g[:, c] >= lo) & (g[:, c] < lo + 1 / 8)).mean((1, 2)) for c in range(channels)
                      for lo in np.arange(8) / 8], axis=1) for g in groups]
    hist[0][:, 7::8] += (groups[0] == 1).mean((2, 3))     # the top bin includes 1.0
    hist[1][:, 7::8] += (groups[1] == 1).mean((2, 3))
    hist_z = _z(*hist)
    return {"mean": float(np.abs(mean_z).max()), "variance": float(np.abs(var_z).max()),
            "histogram": float(np.abs(hist_z).max())}


@pytest.mark.parametrize("module, knobs", [
    (faces, {**FACES_EQUAL, "mouth_contrast": "relative"}),
    (faces, {**FACES_EQUAL, "mouth_contrast": "absolute"}),
    (xray, XRAY_EQUAL),
    (xray, XRAY_AGE_EQUAL),
], ids=["faces", "faces-absolute-mouth", "xray-sex", "xray-age"])
def test_with_every_knob_equalised_the_groups_look_the_same(module, knobs):
    config = (faces.FaceConfig if module is faces else xray.XrayConfig)(**knobs)
    z = largest_z(images_by_group(module, config))
    assert max(z.values()) < AGREE, f"the groups' images differ although every listed knob is equal: {z}"


@pytest.mark.parametrize("module, knobs, at_least", [
    (faces, {}, 50),                                                      # the defaults: skin, mouth, smiles
    (faces, {**FACES_EQUAL, "skin": faces.DEFAULTS_ADDED_LATER["skin"]}, 50),          # skin colour alone
    (faces, {**FACES_EQUAL, "base_rate": (0.8, 0.1)}, 10),                # how many smile alone
    (xray, {}, 20),
    (xray, {**XRAY_EQUAL, "sex_anatomy": 1.0}, 20),                       # thorax, lungs, heart, bone alone
    (xray, {**XRAY_EQUAL, "breast_shadows": 1.0}, 20),                    # breast shadows alone
    (xray, {**XRAY_EQUAL, "prevalence": (0.5, 0.05)}, 8),                 # prevalence alone
    (xray, {"sensitive": "age"}, 20),
    (xray, {**XRAY_AGE_EQUAL, "age_anatomy": 1.0}, 20),                   # age-linked anatomy alone
], ids=["faces-defaults", "faces-skin", "faces-base-rate", "xray-defaults", "xray-sex-anatomy",
        "xray-breast-shadows", "xray-prevalence", "xray-age-defaults", "xray-age-anatomy"])
def test_the_comparison_sees_each_difference(module, knobs, at_least):
    """The same comparison fails where a knob differs between groups (so passing above means something).

    Colours and anatomy stand out (|z| 45 to 190); how often the cue is present only through the mean
    mouth or fluid (|z| 12 to 19 for base rates 0.8 vs 0.1, prevalences 0.5 vs 0.05). The default
    base-rate, prevalence or difficulty gaps alone reach |z| 3 to 7 at 4,000 per group: the test's
    power: an unlisted difference that small could pass unseen, a larger one could not."""
    config = (faces.FaceConfig if module is faces else xray.XrayConfig)(**knobs)
    z = largest_z(images_by_group(module, config))
    assert max(z.values()) > at_least, z


# --- identities: people of each group, one photo each ---

IDENTITIES_EQUAL = dict(skin=(MID_SKIN, MID_SKIN), code_overlap=1.0, trait_spread=(1.0, 1.0), image_size=SIZE)


def identity_photos_by_group(config: identities.IdentityConfig, seed: int = 0) -> list[np.ndarray]:
    """One photo of each of PER_GROUP people per group (float, [N, C, S, S])."""
    rng = np.random.default_rng(seed)
    people = identities.generate_identities(3 * PER_GROUP, config, rng, group_proportion=0.5)
    person = np.concatenate([np.flatnonzero(people["group"] == g)[:PER_GROUP] for g in (0, 1)])
    assert len(person) == 2 * PER_GROUP
    split = identities.render_photos({k: v[person] for k, v in people.items()}, 1, 0, config, rng, batch=1000)
    images = split.images.numpy().astype(np.float64) / 255
    return [images[:PER_GROUP], images[PER_GROUP:]]


def test_with_every_identity_knob_equalised_the_groups_look_the_same():
    z = largest_z(identity_photos_by_group(identities.IdentityConfig(**IDENTITIES_EQUAL)))
    assert max(z.values()) < AGREE, f"the groups' people differ although every listed knob is equal: {z}"


@pytest.mark.parametrize("knobs, at_least", [
    ({}, 50),                                                           # the defaults: skin colour, code axes
    ({**IDENTITIES_EQUAL, "code_overlap": 0.0, "code_strength": 0.2}, 6),  # the code's axes alone
], ids=["identities-defaults", "identities-code-axes"])
def test_the_comparison_sees_each_identity_difference(knobs, at_least):
    z = largest_z(identity_photos_by_group(identities.IdentityConfig(**{"image_size": SIZE, **knobs})))
    assert max(z.values()) > at_least, z


# --- faces: the mouth-skin contrast ---

def mouth_skin_difference(config: faces.FaceConfig, n: int = 20000) -> np.ndarray:
    """Per group, the mean RGB difference skin - mouth of the colours the renderer paints."""
    attrs = faces.generate_attributes(n, config, np.random.default_rng(1))
    skin = np.clip(faces._skin_rows(attrs) * attrs["skin_jitter"].astype(np.float32), 0, 1)
    difference = skin - faces._mouth_colour(attrs, skin)
    return np.stack([difference[attrs["group"] == g].mean(0) for g in (0, 1)])


def mouth_contrast_in_pixels(config: faces.FaceConfig, n: int = 1000, size: int = 64) -> np.ndarray:
    """Per group, the mean RGB distance between the pixel at the middle of a flat mouth and the skin just
    above it, on faces of one pose, lit evenly, without pixel noise (so only the colours differ)."""
    rng = np.random.default_rng(2)
    attrs = faces.generate_attributes(n, config, rng)
    fixed = {"center_x": 0.0, "center_y": 0.0, "scale": 1.0, "lift": 0.0, "light_strength": 0.0, "brightness": 1.0,
             "glasses": False}
    for key, value in fixed.items():
        attrs[key] = np.full(n, value, dtype=attrs[key].dtype)
    images = faces.render(attrs, size, 0.0, rng).astype(np.float64) / 255
    coords = np.linspace(-1, 1, size)
    mouth_row = int(np.argmin(np.abs(coords - 0.45 * 0.66)))
    cheek_row = int(np.argmin(np.abs(coords - (0.45 * 0.66 - 0.15))))
    column = size // 2
    distance = np.linalg.norm(images[:, :, cheek_row, column] - images[:, :, mouth_row, column], axis=1)
    return np.array([distance[attrs["group"] == g].mean() for g in (0, 1)])


def test_default_mouth_contrast_is_lower_on_darker_skin():
    difference = mouth_skin_difference(faces.FaceConfig())
    ratio = np.linalg.norm(difference[1]) / np.linalg.norm(difference[0])
    assert ratio == pytest.approx(0.385, abs=0.01)          # 0.341 / 0.887 in RGB distance
    pixels = mouth_contrast_in_pixels(faces.FaceConfig())
    assert pixels[1] / pixels[0] == pytest.approx(0.385, abs=0.03)


def test_absolute_mouth_contrast_equalises_the_mouth_skin_difference():
    config = faces.FaceConfig(mouth_contrast="absolute")
    difference = mouth_skin_difference(config)
    np.testing.assert_allclose(difference[0], difference[1], atol=0.003)
    # ... the darker group's default difference, which its mouth keeps; the lighter group's drops to it
    np.testing.assert_allclose(difference[1], mouth_skin_difference(faces.FaceConfig())[1], atol=0.003)
    np.testing.assert_allclose(faces.mouth_shift(config), faces.SKIN[1] * (1 - 1.3 * np.array(faces.MOUTH_TINT)),
                               rtol=1e-6)
    pixels = mouth_contrast_in_pixels(config)
    assert pixels[1] / pixels[0] == pytest.approx(1.0, abs=0.03)


# --- the knobs: validation, JSON options ---

@pytest.mark.parametrize("bad, words", [
    ({"skin": ((0.9, 0.8), (0.4, 0.3, 0.2))}, ["skin=", "two RGB colours", "the default"]),
    ({"skin": ((0.9, 0.8, 1.5), (0.4, 0.3, 0.2))}, ["skin=", "in [0, 1]"]),
    ({"skin": "pale"}, ["skin="]),
    ({"mouth_contrast": "equal"}, ["mouth_contrast='equal'", "'relative'", "'absolute'", "pass one of these"]),
])
def test_bad_face_knobs_name_the_knob_and_the_valid_values(bad, words):
    with pytest.raises(ValueError) as error:
        faces.FaceConfig(**bad)
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("name", ["sex_anatomy", "breast_shadows", "age_anatomy"])
@pytest.mark.parametrize("value", [-0.1, 1.5, "none", True])
def test_bad_xray_knobs_name_the_knob_and_the_valid_values(name, value):
    with pytest.raises(ValueError, match=f"{name}=.*must be a number in \\[0, 1\\]"):
        xray.XrayConfig(**{name: value})


def test_skin_from_json_lists_is_the_same_config():
    options = {"skin": [list(MID_SKIN), list(MID_SKIN)], "mouth_contrast": "absolute"}
    config = _options_dataclass("synthetic_faces", faces.FaceConfig, options)
    assert config == faces.FaceConfig(skin=(MID_SKIN, MID_SKIN), mouth_contrast="absolute")
    assert hash(config) == hash(faces.FaceConfig(skin=(MID_SKIN, MID_SKIN), mouth_contrast="absolute"))


# --- default output and cache keys: exactly as before the knobs (hashes computed with the generators of
# commit 29d186f, before any knob was added; numpy 2.4.6 on x86-64) ---

ORIGINAL = {
    "faces_default": "533f3620840cc78dcedea429814db93bd1a5f155d253720fb79efc0726a26f0a",
    "faces_other": "815501060fde2937ca7de8ce8249ba912a87cbf5230a346a6e3f62663e9c7918",
    # identities: GENERATOR_VERSION 2 (identity codes, group axes, the training people's share; issue 35),
    # computed when it was introduced; the knobs added with it (skin, mouth_contrast) keep these bytes
    "identities_default": "55e68fe46dd0c84415122035605eb3d7c99a411e221410ecbe56e1b3cc6ce77e",
    "xray_default": "4e8b8d0ca96a511c1e6542377f5f355c52e03decb669c55cf5781c330df7a642",
    "xray_age": "7e1969c18d3bfb277fcf0b577ee12f1266f8c72310c8704410b00cf8fae302fd",
    "key_faces_default": "e5d6bc96ad6b655c",
    "key_xray_default": "1f12a79cb6d4fb52",
    "key_faces_other": "0f2dddeb9bd05bf9",
    "key_xray_age": "9219835af1906601",
}


def digest(dataset) -> str:
    h = hashlib.sha256()
    for name in ("train", "val", "test"):
        if name in dataset.splits:
            for tensor in (dataset[name].images, dataset[name].target, dataset[name].group):
                h.update(tensor.numpy().tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("name, make", [
    ("faces_default", lambda: faces.make_synthetic_faces(faces.FaceConfig(n_train=200, n_val=50, n_test=50, seed=3))),
    ("faces_other", lambda: faces.make_synthetic_faces(faces.FaceConfig(
        n_train=100, n_val=0, n_test=60, image_size=16, group_proportion=0.5, base_rate=(0.4, 0.4),
        difficulty=(0.1, 0.3), label_noise=(0.0, 0.1), seed=5))),
    ("identities_default", lambda: identities.make_synthetic_identities(identities.IdentityConfig(
        n_train_identities=8, n_test_identities=6, images_train=4, images_val=2, images_test=3, image_size=16))),
    ("xray_default", lambda: xray.make_synthetic_xray(xray.XrayConfig(n_train=200, n_val=50, n_test=50, seed=3))),
    ("xray_age", lambda: xray.make_synthetic_xray(xray.XrayConfig(
        n_train=100, n_val=0, n_test=60, image_size=16, sensitive="age", target="cardiomegaly", seed=5))),
])
def test_default_knobs_give_the_original_bytes(name, make):
    assert digest(make()) == ORIGINAL[name], f"{name}: default output changed (bump GENERATOR_VERSION if meant)"


def test_new_knobs_at_their_defaults_leave_the_cache_keys_unchanged():
    keys = {
        "key_faces_default": ("synthetic_faces", faces.FaceConfig(), faces.GENERATOR_VERSION),
        "key_xray_default": ("synthetic_xray", xray.XrayConfig(), xray.GENERATOR_VERSION),
        "key_faces_other": ("synthetic_faces", faces.FaceConfig(n_train=2000, difficulty=(0.3, 0.3), seed=4),
                            faces.GENERATOR_VERSION),
        "key_xray_age": ("synthetic_xray", xray.XrayConfig(sensitive="age", seed=2), xray.GENERATOR_VERSION),
    }
    for name, (dataset, config, version) in keys.items():
        assert options_hash(dataset, _generated_key(config, version)) == ORIGINAL[name], name
    # explicit defaults are the same config and key; a changed knob is a new key
    explicit = faces.FaceConfig(skin=[[0.93, 0.78, 0.66], [0.45, 0.31, 0.22]], mouth_contrast="relative")
    assert explicit == faces.FaceConfig()
    assert options_hash("synthetic_faces", _generated_key(explicit, faces.GENERATOR_VERSION)) == \
        ORIGINAL["key_faces_default"]
    for dataset, config, version in (
            ("synthetic_faces", faces.FaceConfig(mouth_contrast="absolute"), faces.GENERATOR_VERSION),
            ("synthetic_faces", faces.FaceConfig(skin=(MID_SKIN, MID_SKIN)), faces.GENERATOR_VERSION),
            ("synthetic_xray", xray.XrayConfig(breast_shadows=0.0), xray.GENERATOR_VERSION)):
        key = _generated_key(config, version)
        assert options_hash(dataset, key) not in ORIGINAL.values()
    assert "mouth_contrast" in dataclasses.asdict(faces.FaceConfig(mouth_contrast="absolute"))
    assert "mouth_contrast" not in dataclasses.asdict(faces.FaceConfig())
    assert [f.name for f in dataclasses.fields(faces.FaceConfig)][-2:] == ["skin", "mouth_contrast"]
    changed = dataclasses.replace(faces.FaceConfig(), mouth_contrast="absolute")
    assert changed.mouth_contrast == "absolute" and dataclasses.replace(changed, seed=1).mouth_contrast == "absolute"
