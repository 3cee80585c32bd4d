import dataclasses

import numpy as np
import pytest
import torch

from fairgap.data import FairDataset, load_dataset
from fairgap.data.cache import options_hash
from fairgap.data.synthetic_faces import FaceConfig, generate_attributes, make_synthetic_faces
from fairgap.paths import data_dir

SMALL = dict(n_train=300, n_val=50, n_test=100, image_size=16)


def test_same_seed_same_images_and_labels():
    a = make_synthetic_faces(FaceConfig(**SMALL, seed=3))
    b = make_synthetic_faces(FaceConfig(**SMALL, seed=3))
    for split in ("train", "val", "test"):
        assert torch.equal(a[split].images, b[split].images)
        assert torch.equal(a[split].target, b[split].target)
        assert torch.equal(a[split].group, b[split].group)


def test_different_seeds_differ():
    a = make_synthetic_faces(FaceConfig(**SMALL, seed=0))
    b = make_synthetic_faces(FaceConfig(**SMALL, seed=1))
    assert not torch.equal(a["train"].images, b["train"].images)


def test_shapes_and_dtypes():
    ds = make_synthetic_faces(FaceConfig(**SMALL))
    assert ds["train"].images.shape == (300, 3, 16, 16)
    assert ds["train"].images.dtype == torch.uint8
    assert len(ds["val"]) == 50 and len(ds["test"]) == 100
    assert set(ds["train"].target.unique().tolist()) == {0, 1}
    assert set(ds["train"].group.unique().tolist()) == {0, 1}
    assert ds.group_labels == ("lighter", "darker")


def test_test_split_does_not_depend_on_train_size():
    a = make_synthetic_faces(FaceConfig(**{**SMALL, "n_train": 300}))
    b = make_synthetic_faces(FaceConfig(**{**SMALL, "n_train": 500}))
    assert torch.equal(a["test"].images, b["test"].images)


def test_base_rates_group_share_and_label_noise_follow_the_config():
    config = FaceConfig(n_train=40000, group_proportion=0.25, base_rate=(0.6, 0.2), label_noise=(0.0, 0.3))
    attrs = generate_attributes(40000, config, np.random.default_rng(0))
    group, smile, label = attrs["group"], attrs["smile"], attrs["label"]
    assert abs(group.mean() - 0.25) < 0.01
    assert abs(smile[group == 0].mean() - 0.6) < 0.015
    assert abs(smile[group == 1].mean() - 0.2) < 0.02
    assert (label[group == 0] == smile[group == 0]).all()
    assert abs((label[group == 1] != smile[group == 1]).mean() - 0.3) < 0.02


def test_difficulty_shrinks_the_smile_cue():
    config = FaceConfig(n_train=20000, difficulty=(0.0, 0.9))
    attrs = generate_attributes(20000, config, np.random.default_rng(0))
    separation = []
    for g in (0, 1):
        lift, smile = attrs["lift"][attrs["group"] == g], attrs["smile"][attrs["group"] == g]
        separation.append(lift[smile == 1].mean() - lift[smile == 0].mean())
    assert separation[0] > 5 * separation[1] > 0


def test_smile_changes_the_mouth_pixels():
    config = FaceConfig(n_train=2, image_size=32, pixel_noise=0.0)
    attrs = generate_attributes(2, config, np.random.default_rng(0))
    for key in attrs:
        if key not in ("lift", "smile", "label"):
            attrs[key] = np.repeat(attrs[key][:1], 2, axis=0)
    attrs["lift"] = np.array([0.15, -0.15])
    from fairgap.data.synthetic_faces import render
    images = render(attrs, 32, 0.0, np.random.default_rng(0))
    diff = np.abs(images[0].astype(int) - images[1].astype(int)).sum(0)
    rows = np.flatnonzero((diff > 30).any(1))  # soft edges leave differences of a grey level or two elsewhere
    assert rows.size and rows.min() >= 15, "only the mouth, below the eyes (row ~14), may change"


@pytest.mark.parametrize("bad, message", [
    ({"group_proportion": 1.0}, "group_proportion"),
    ({"base_rate": (0.5, 1.5)}, "base_rate"),
    ({"label_noise": (0.6, 0.0)}, "label_noise"),
    ({"n_train": 0}, "n_train"),
    ({"image_size": 4}, "image_size"),
])
def test_invalid_settings_name_the_field(bad, message):
    with pytest.raises(ValueError, match=message):
        FaceConfig(**bad)


def test_unknown_option_lists_valid_ones():
    with pytest.raises(ValueError, match="Valid options.*n_train"):
        load_dataset("synthetic_faces", n_trian=10)


def test_unknown_dataset_lists_valid_ones():
    with pytest.raises(ValueError, match="Valid datasets: synthetic_faces"):
        load_dataset("mnist")


def test_cache_roundtrip_and_corrupt_entry_is_rebuilt():
    first = load_dataset("synthetic_faces", **SMALL, seed=7)
    from fairgap.data.synthetic_faces import GENERATOR_VERSION

    options = {**dataclasses.asdict(FaceConfig(**SMALL, seed=7)), "generator_version": GENERATOR_VERSION}
    folder = data_dir() / "cache" / f"synthetic_faces-{options_hash('synthetic_faces', options)}"
    assert (folder / "dataset.json").is_file()
    again = FairDataset.load(folder)
    assert torch.equal(again["train"].images, first["train"].images)
    # Truncate one split: the next load must notice and regenerate, not crash or use it.
    path = folder / "train.npz"
    path.write_bytes(path.read_bytes()[:100])
    rebuilt = load_dataset("synthetic_faces", **SMALL, seed=7)
    assert torch.equal(rebuilt["train"].images, first["train"].images)
    assert FairDataset.load(folder)["train"].images.shape == first["train"].images.shape


def test_skin_knob_sets_each_groups_face_colour():
    config = FaceConfig(n_train=2, image_size=64, pixel_noise=0.0, skin=((0.2, 0.4, 0.6), (0.6, 0.4, 0.2)))
    attrs = generate_attributes(2, config, np.random.default_rng(0))
    attrs["group"] = np.array([0, 1])
    for key, value in {"skin_jitter": np.ones((2, 3)), "light_strength": np.zeros(2), "brightness": np.ones(2),
                       "center_x": np.zeros(2), "center_y": np.zeros(2), "scale": np.ones(2),
                       "glasses": np.zeros(2, dtype=bool)}.items():
        attrs[key] = value
    from fairgap.data.synthetic_faces import render
    images = render(attrs, 64, 0.0, np.random.default_rng(0))
    forehead = images[:, :, 17, 32] / 255       # y = -0.46, x = 0.02: skin, far from the eyes, mouth and edge
    np.testing.assert_allclose(forehead, [[0.2, 0.4, 0.6], [0.6, 0.4, 0.2]], atol=0.01)


def test_face_knobs_reach_the_population(monkeypatch):
    """The population renders from the attributes alone (``render(attrs, size, noise, rng)``): the knobs
    travel in the attributes, so a population of equal skin colours has equal skin colours."""
    from fairgap.data import load_population, population

    monkeypatch.setattr(population, "MIN_DRAWS", 20_000)
    monkeypatch.setattr(population, "CHUNK", 10_000)
    grey = dict(image_size=16, pixel_noise=0.0, skin=((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)))
    split = load_population("synthetic_faces", 2000, cache=False, **grey)
    face = lambda split: split.images[:, :, 4:8, 6:10].float().mean((1, 2, 3))   # noqa: E731 - above the eyes
    grey_gap = face(split)[split.group == 0].mean() - face(split)[split.group == 1].mean()
    assert abs(grey_gap) < 5                                       # grey levels: the same faces
    default = load_population("synthetic_faces", 2000, cache=False, image_size=16, pixel_noise=0.0)
    default_gap = face(default)[default.group == 0].mean() - face(default)[default.group == 1].mean()
    assert default_gap > 40                                        # lighter skin than darker
