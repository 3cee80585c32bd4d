import numpy as np
import pytest
import torch

from fairgap.data import load_dataset
from fairgap.data.synthetic_identities import IdentityConfig, generate_identities, make_synthetic_identities

SMALL = dict(n_train_identities=8, n_test_identities=6, images_train=4, images_val=2, images_test=3, image_size=16)


def test_splits_identities_and_shapes():
    ds = make_synthetic_identities(IdentityConfig(**SMALL))
    train, val, test = ds["train"], ds["val"], ds["test"]
    assert (len(train), len(val), len(test)) == (32, 16, 18)
    assert train.images.shape == (32, 3, 16, 16) and train.images.dtype == torch.uint8
    assert set(train.identity.tolist()) == set(val.identity.tolist()) == set(range(8))
    assert set(test.identity.tolist()) == set(range(8, 14))          # unseen people, numbered after
    assert all(np.bincount(train.identity.numpy()) == 4)
    for split in (train, val, test):                                  # a person keeps its group
        for person in split.identity.unique():
            assert split.group[split.identity == person].unique().numel() == 1
    assert ds.group_labels == ("lighter", "darker")


def test_deterministic_and_streams_are_separate():
    a = make_synthetic_identities(IdentityConfig(**SMALL, seed=4))
    b = make_synthetic_identities(IdentityConfig(**SMALL, seed=4))
    for name in a.splits:
        assert torch.equal(a[name].images, b[name].images) and torch.equal(a[name].identity, b[name].identity)
    more_unseen = make_synthetic_identities(IdentityConfig(**{**SMALL, "n_test_identities": 9}, seed=4))
    assert torch.equal(a["train"].images, more_unseen["train"].images)
    assert torch.equal(a["val"].images, more_unseen["val"].images)
    other = make_synthetic_identities(IdentityConfig(**SMALL, seed=5))
    assert not torch.equal(a["train"].images, other["train"].images)


def test_photos_of_one_person_differ_but_resemble_each_other():
    ds = make_synthetic_identities(IdentityConfig(**{**SMALL, "images_train": 6, "image_size": 24}))
    x = ds["train"].images.float().flatten(1)
    ids = ds["train"].identity
    assert not torch.equal(x[0], x[1])                                 # pose, light, noise vary per photo
    same = torch.stack([torch.cdist(x[ids == p], x[ids == p]).mean() for p in ids.unique()]).mean()
    other = torch.cdist(x, x).mean()
    assert same < other


def test_trait_spread_makes_a_groups_people_alike():
    config = IdentityConfig(trait_spread=(1.0, 0.3), group_proportion=0.5)
    people = generate_identities(4000, config, np.random.default_rng(0))
    g = people["group"]
    for key in ("scale", "hair_height", "eye_size"):
        ratio = people[key][g == 1].std() / people[key][g == 0].std()
        assert 0.2 < ratio < 0.4, key
    tint_ratio = people["skin_jitter"][g == 1].std() / people["skin_jitter"][g == 0].std()
    assert 0.2 < tint_ratio < 0.4
    # Hair: group 1 people mostly share the common colour.
    assert np.mean(people["hair"][g == 1] == 0) > 0.7 > np.mean(people["hair"][g == 0] == 1)


def test_registered_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRGAP_DATA", str(tmp_path))
    ds = load_dataset("synthetic_identities", **SMALL)
    assert ds.name == "synthetic_identities" and ds["test"].identity is not None
    assert len(list((tmp_path / "cache").glob("synthetic_identities-*"))) == 1
    again = load_dataset("synthetic_identities", **SMALL)
    assert torch.equal(again["test"].identity, ds["test"].identity)


@pytest.mark.parametrize("options", [{"trait_spread": (1.0, 0.0)}, {"n_train_identities": 0}, {"nuisance": 2.0},
                                     {"image_size": 4}])
def test_invalid_settings_are_explained(options):
    with pytest.raises(ValueError, match="Invalid synthetic identity settings"):
        IdentityConfig(**options)
