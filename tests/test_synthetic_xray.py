"""The synthetic chest X-ray generator: determinism, shapes, the generative model's rates, validation;
and the models that notebook 06 uses on its 1-channel images."""

import time

import numpy as np
import pytest
import torch

from fairgap.data import DATASETS, load_dataset
from fairgap.data.synthetic_xray import (FINDINGS, XrayConfig, generate_attributes, make_synthetic_xray, render)
from fairgap.models import build_model

SMALL = dict(n_train=120, n_val=40, n_test=80, image_size=16)


def attributes(n=40000, **knobs):
    return generate_attributes(n, XrayConfig(**knobs), np.random.default_rng(0))


def test_same_seed_same_images_and_labels_other_seed_differs():
    a = make_synthetic_xray(XrayConfig(**SMALL, seed=3))
    b = make_synthetic_xray(XrayConfig(**SMALL, seed=3))
    for split in ("train", "val", "test"):
        assert torch.equal(a[split].images, b[split].images)
        assert torch.equal(a[split].target, b[split].target)
        assert torch.equal(a[split].group, b[split].group)
    c = make_synthetic_xray(XrayConfig(**SMALL, seed=4))
    assert not torch.equal(a["train"].images, c["train"].images)


def test_test_split_does_not_depend_on_train_size():
    a = make_synthetic_xray(XrayConfig(**{**SMALL, "n_train": 100}))
    b = make_synthetic_xray(XrayConfig(**{**SMALL, "n_train": 150}))
    assert torch.equal(a["test"].images, b["test"].images)


@pytest.mark.parametrize("size", [16, 32])
def test_shapes_dtypes_and_groups(size):
    ds = make_synthetic_xray(XrayConfig(**{**SMALL, "image_size": size}))
    assert ds.name == "synthetic_xray"
    assert ds["train"].images.shape == (120, 1, size, size)
    assert ds["train"].images.dtype == torch.uint8
    assert ds.image_shape == (1, size, size)
    assert len(ds["val"]) == 40 and len(ds["test"]) == 80
    assert set(ds["train"].target.unique().tolist()) == {0, 1}
    assert set(ds["train"].group.unique().tolist()) == {0, 1}
    assert ds.target_name == "effusion" and ds.group_name == "sex" and ds.group_labels == ("male", "female")
    assert ds["train"].images.float().std() > 20  # not blank


def test_age_as_sensitive_attribute_bins_at_the_threshold():
    config = XrayConfig(**SMALL, sensitive="age", age_threshold=65)
    assert config.group_labels == ("under 65", "65 and over")
    attrs = generate_attributes(5000, config, np.random.default_rng(1))
    assert (attrs["group"] == attrs["older"]).all()
    assert (attrs["age"][attrs["group"] == 1] >= 65).all() and (attrs["age"][attrs["group"] == 0] < 65).all()
    assert make_synthetic_xray(config).group_name == "age"


@pytest.mark.parametrize("sensitive", ["sex", "age"])
def test_group_share_prevalence_and_label_noise_follow_the_config(sensitive):
    attrs = attributes(sensitive=sensitive, female_proportion=0.3, older_proportion=0.6, prevalence=(0.5, 0.15),
                       label_noise=(0.0, 0.2))
    group, finding, label = attrs["group"], attrs["finding"], attrs["label"]
    assert abs(attrs["female"].mean() - 0.3) < 0.01 and abs(attrs["older"].mean() - 0.6) < 0.01
    assert abs(group.mean() - (0.3 if sensitive == "sex" else 0.6)) < 0.01
    assert abs(finding[group == 0].mean() - 0.5) < 0.02
    assert abs(finding[group == 1].mean() - 0.15) < 0.015
    assert (label[group == 0] == finding[group == 0]).all()
    assert abs((label[group == 1] != finding[group == 1]).mean() - 0.2) < 0.015


@pytest.mark.parametrize("target", FINDINGS)
def test_difficulty_shrinks_the_cue_of_the_target_finding(target):
    attrs = attributes(n=20000, target=target, difficulty=(0.0, 0.8))
    separation = []
    for g in (0, 1):
        cue, finding = attrs[target][attrs["group"] == g], attrs["finding"][attrs["group"] == g]
        separation.append(cue[finding == 1].mean() - cue[finding == 0].mean())
    assert separation[0] > 4 * separation[1] > 0


def test_device_and_projection_depend_on_the_finding_only():
    attrs = attributes(device_rate=(0.1, 0.6), ap_rate=(0.2, 0.7))
    finding = attrs["finding"]
    assert abs(attrs["device"][finding == 0].mean() - 0.1) < 0.015
    assert abs(attrs["device"][finding == 1].mean() - 0.6) < 0.02
    assert abs(attrs["ap"][finding == 1].mean() - 0.7) < 0.02
    for g in (0, 1):  # within a finding class, the group does not matter
        in_class = (finding == 0) & (attrs["group"] == g)
        assert abs(attrs["device"][in_class].mean() - 0.1) < 0.02
    neutral = attributes(device_rate=(0.3, 0.3))
    assert abs(neutral["device"][neutral["finding"] == 1].mean() - neutral["device"][neutral["finding"] == 0].mean()) < 0.02


def _render_pair(target, cue):
    """Two copies of one patient that differ only in the target finding's cue."""
    config = XrayConfig(n_train=2, image_size=32, target=target, pixel_noise=0.0, device_rate=(0, 0))
    attrs = generate_attributes(2, config, np.random.default_rng(0))
    attrs = {k: np.repeat(v[:1], 2, axis=0) for k, v in attrs.items()}
    attrs[target] = np.array([0.0 if target != "cardiomegaly" else -0.05, cue])
    images = render(attrs, 32, 0.0, np.random.default_rng(0))[:, 0].astype(int)
    return np.abs(images[0] - images[1])


def test_an_effusion_brightens_the_lung_bases_only():
    diff = _render_pair("effusion", 0.4)
    rows = np.flatnonzero((diff > 20).any(1))
    assert rows.size and rows.min() >= 14, "fluid collects at the bottom of the lungs (lower half of the image)"


def test_cardiomegaly_widens_the_heart_and_opacity_changes_the_lungs():
    heart = _render_pair("cardiomegaly", 0.12)
    assert (heart > 20).sum() > 10
    opacity = _render_pair("opacity", 0.3)
    assert (opacity > 20).sum() > 3


def test_load_dataset_registers_and_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRGAP_DATA", str(tmp_path))
    assert "synthetic_xray" in DATASETS
    a = load_dataset("synthetic_xray", **SMALL, prevalence=[0.4, 0.3])  # lists are accepted for pairs
    assert len(list((tmp_path / "cache").glob("synthetic_xray-*"))) == 1
    b = load_dataset("synthetic_xray", **SMALL, prevalence=[0.4, 0.3])
    assert torch.equal(a["train"].images, b["train"].images)
    assert tuple(b.info["config"]["prevalence"]) == (0.4, 0.3)
    assert set(a.info["groups"]["train"]) == {"0", "1"}
    with pytest.raises(ValueError, match="Unknown option.*'sensitve'.*Valid options"):
        load_dataset("synthetic_xray", sensitve="age")


@pytest.mark.parametrize("knobs, text", [
    ({"target": "Pneumonia"}, "target='Pneumonia' must be one of effusion, opacity, cardiomegaly"),
    ({"sensitive": "race"}, "sensitive='race' must be one of sex, age"),
    ({"prevalence": (0.5, 1.2)}, "prevalence=.* must be two numbers .group 0, group 1. in \\[0, 1\\]"),
    ({"prevalence": (0.5,)}, "prevalence"),
    ({"difficulty": (0.2, 1.0)}, "difficulty=.* must be below 1"),
    ({"label_noise": (0.0, 0.6)}, "label_noise"),
    ({"device_rate": (0.1, "x")}, "device_rate=.*finding absent, present"),
    ({"female_proportion": 1.0}, "female_proportion=1.0 must be strictly between 0 and 1"),
    ({"age_threshold": 10}, "age_threshold"),
    ({"image_size": 4}, "image_size=4"),
    ({"n_train": 0}, "n_train=0"),
])
def test_invalid_settings_name_the_knob_and_the_valid_range(knobs, text):
    with pytest.raises(ValueError, match="Invalid synthetic X-ray settings: .*" + text):
        XrayConfig(**knobs)


@pytest.mark.parametrize("name, size", [("small_cnn", 32), ("densenet121", 32), ("densenet121", 64)])
def test_models_take_one_channel_images(name, size):
    torch.manual_seed(0)
    model = build_model(name, in_channels=1).eval()
    with torch.no_grad():
        logits = model(torch.randn(2, 1, size, size))
    assert logits.shape == (2,) and torch.isfinite(logits).all()


@pytest.mark.slow
def test_twenty_thousand_images_render_quickly():
    start = time.perf_counter()
    ds = make_synthetic_xray(XrayConfig(n_train=20000, n_val=0, n_test=1, image_size=32))
    assert len(ds["train"]) == 20000
    assert time.perf_counter() - start < 30
