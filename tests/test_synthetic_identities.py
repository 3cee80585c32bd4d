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


def test_each_group_varies_along_its_own_axes_of_the_code():
    config = IdentityConfig(code_dims=8, code_overlap=0.25)
    people = generate_identities(8000, config, np.random.default_rng(1), group_proportion=0.5)
    g, code = people["group"], people["code"]
    first, second = code[:, :4], code[:, 4:]
    assert first[g == 0].var() == pytest.approx(1.0, rel=0.06) and second[g == 0].var() == pytest.approx(0.25, rel=0.06)
    assert first[g == 1].var() == pytest.approx(0.25, rel=0.06) and second[g == 1].var() == pytest.approx(1.0, rel=0.06)
    # not a scaled copy: the total code variance is the same in both groups
    assert code[g == 0].var(0).sum() == pytest.approx(code[g == 1].var(0).sum(), rel=0.05)
    same = generate_identities(8000, IdentityConfig(code_dims=8, code_overlap=1.0), np.random.default_rng(1), 0.5)
    assert same["code"][same["group"] == 1].var(0) == pytest.approx(np.ones(8), abs=0.08)


def test_the_training_people_have_their_own_group_share():
    ds = make_synthetic_identities(IdentityConfig(**{**SMALL, "n_train_identities": 400, "n_test_identities": 400,
                                                     "images_train": 1, "images_val": 0, "images_test": 1}))
    assert ds["train"].group.float().mean().item() == pytest.approx(0.2, abs=0.05)     # train_group_proportion
    assert ds["test"].group.float().mean().item() == pytest.approx(0.5, abs=0.06)      # group_proportion
    shared = make_synthetic_identities(IdentityConfig(**{**SMALL, "n_train_identities": 400, "images_train": 1,
                                                         "images_val": 0, "train_group_proportion": 0.5}))
    assert shared["train"].group.float().mean().item() == pytest.approx(0.5, abs=0.06)


def test_a_persons_code_is_a_texture_that_moves_with_the_face():
    from fairgap.data.synthetic_identities import code_texture

    attrs = {"code": np.ones((2, 4)), "scale": np.array([1.0, 1.0]), "center_x": np.array([0.0, 0.25]),
             "center_y": np.array([0.0, 0.0])}
    texture = code_texture(attrs, 33, 0.1)
    assert texture[0].std() > 0.01                                  # a code is drawn
    np.testing.assert_allclose(texture[1][:, 4:], texture[0][:, :-4], atol=1e-5)   # 4 pixels = 0.25 to the right
    assert texture[0][0, 0] == 0                                    # nothing outside the face
    attrs["code"] = np.zeros((2, 4))
    assert not code_texture(attrs, 33, 0.1).any()


@pytest.mark.parametrize("options", [{"code_dims": 3}, {"code_dims": 0}, {"code_overlap": 1.5}, {"code_strength": -0.1},
                                     {"train_group_proportion": 1.0}, {"skin": "pale"}])
def test_invalid_code_and_share_knobs_are_named(options):
    with pytest.raises(ValueError, match=f"{next(iter(options))}="):
        IdentityConfig(**options)
