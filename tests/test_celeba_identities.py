"""The CelebA identity reader on a fixture written in the real format (celeba_fixture.write_celeba_identity_fixture)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fairgap.data import load_dataset
from fairgap.data.celeba_identities import load_celeba_identities, read_identities

try:
    from .celeba_fixture import write_celeba_identity_fixture
except ImportError:  # tests/ is not a package: pytest puts this folder on sys.path
    from celeba_fixture import write_celeba_identity_fixture


@pytest.fixture
def data(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("FAIRGAP_DATA", str(folder))
    return folder


@pytest.fixture
def fx(tmp_path, data):
    """10 people x 5 photos, 48 x 58 px (small, so decoding is quick)."""
    return write_celeba_identity_fixture(tmp_path / "celeba", n_identities=10, images_per_identity=5,
                                         image_size=(48, 58))


def people_of(split):
    return set(split.identity.tolist())


def test_fixture_identity_file_has_the_real_format(fx):
    lines = (fx["root"] / "identity_CelebA.txt").read_text().splitlines()
    assert len(lines) == 50
    name, number = lines[0].split(" ")
    assert name == "000001.jpg" and number.isdigit()
    assert read_identities(fx["root"] / "identity_CelebA.txt") == dict(zip(fx["files"], fx["person"].tolist()))


def test_partition_split_train_val_same_people_test_unseen(fx):
    dataset = load_celeba_identities(root=fx["root"], sensitive="Male", image_size=8, val_fraction=0.2)
    train, val, test = dataset["train"], dataset["val"], dataset["test"]
    expect_train = {int(fx["people"][k]) for k in np.flatnonzero(fx["person_partition"] == 0)}
    expect_test = {int(fx["people"][k]) for k in np.flatnonzero(fx["person_partition"] == 2)}
    assert people_of(train) == people_of(val) == expect_train
    assert people_of(test) == expect_test
    assert not people_of(train) & people_of(test)
    # Two of each person's five photos are held out (at least a genuine pair), none twice.
    assert len(val) == 2 * len(expect_train) and len(train) == 3 * len(expect_train)
    assert not set(zip(val.identity.tolist(), map(bytes, val.images.numpy()))) & \
        set(zip(train.identity.tolist(), map(bytes, train.images.numpy())))
    assert len(test) == 5 * len(expect_test)
    assert dataset.group_labels == ("not Male", "Male")
    assert tuple(train.images.shape[1:]) == (3, 8, 8) and train.images.dtype == torch.uint8


def test_images_labels_and_groups_belong_to_the_listed_files(fx):
    dataset = load_celeba_identities(root=fx["root"], sensitive="Male", target="Smiling", image_size=8,
                                     cache=False)
    smiling = fx["names"].index("Smiling")
    for split in dataset.splits.values():
        for k in range(len(split)):
            # Colour identifies the file: find it, then check person, target and group.
            colour = split.images[k].float().mean(dim=(1, 2)).numpy()
            index = int(np.argmin(np.abs(fx["colors"].astype(float) - colour).sum(axis=1)))
            assert int(split.identity[k]) == int(fx["person"][index])
            assert int(split.target[k]) == int(fx["attributes"][index, smiling] > 0)
            person = int(fx["person_index"][index])
            assert int(split.group[k]) == int(fx["person_group"][person])


def test_group_is_the_persons_majority_despite_one_annotation_error(fx):
    dataset = load_celeba_identities(root=fx["root"], image_size=8, cache=False)
    assert dataset.info["group_disagreements"] == 1
    first = int(fx["people"][0])
    for split in dataset.splits.values():
        mask = split.identity == first
        if mask.any():
            assert (split.group[mask] == int(fx["person_group"][0])).all()


def test_hash_split_is_deterministic_and_disjoint(fx):
    (fx["root"] / "list_eval_partition.txt").unlink()   # not needed for split_by="hash"
    a = load_celeba_identities(root=fx["root"], image_size=8, split_by="hash", test_fraction=0.4, seed=3, cache=False)
    b = load_celeba_identities(root=fx["root"], image_size=8, split_by="hash", test_fraction=0.4, seed=3, cache=False)
    assert people_of(a["train"]) == people_of(b["train"]) and torch.equal(a["val"].images, b["val"].images)
    assert not people_of(a["train"]) & people_of(a["test"])
    assert people_of(a["train"]) | people_of(a["test"]) == set(fx["people"].tolist())


def test_min_images_and_max_identities(fx):
    with pytest.raises(ValueError, match="training and .* unseen people"):
        load_celeba_identities(root=fx["root"], image_size=8, min_images=6, cache=False)
    with pytest.raises(ValueError, match="at least 4"):
        load_celeba_identities(root=fx["root"], image_size=8, min_images=2, cache=False)
    small = load_celeba_identities(root=fx["root"], image_size=8, max_identities=1, cache=False)
    assert len(people_of(small["train"])) == 1 and len(people_of(small["test"])) == 1


def test_load_dataset_registration_and_cache(fx, data):
    first = load_dataset("celeba_identities", root=str(fx["root"]), image_size=8)
    assert len(list((data / "cache").glob("celeba_identities-*"))) == 1
    second = load_dataset("celeba_identities", root=str(fx["root"]), image_size=8)
    for name in first.splits:
        assert torch.equal(first[name].identity, second[name].identity)
        assert torch.equal(first[name].images, second[name].images)


def test_missing_identity_file_is_named_with_download_help(fx):
    (fx["root"] / "identity_CelebA.txt").unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_celeba_identities(root=fx["root"])
    message = str(info.value)
    assert "identity_CelebA.txt" in message and "mmlab.ie.cuhk.edu.hk" in message and "Anno" in message


def test_malformed_identity_line_names_file_and_line(fx):
    path = fx["root"] / "identity_CelebA.txt"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].split()[0] + " x"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=f"{path}, line 4:"):
        load_celeba_identities(root=fx["root"], image_size=8)


def test_paper_profile_path_trains_on_the_fixture(tmp_path, data):
    """The paper profile's pieces (celeba_identities, resnet18, ArcFace) end to end, tiny and on the CPU."""
    from fairgap.studies import f5_verification as fv
    from fairgap.verification import train_verification

    # 14 people: 4 unseen ones, two per group, so that each group has impostor pairs.
    fx = write_celeba_identity_fixture(tmp_path / "celeba14", n_identities=14, images_per_identity=5,
                                       image_size=(24, 29))

    config = fv.base_config("paper", data={"root": str(fx["root"]), "image_size": 16}, epochs=1, batch_size=16,
                            embedding_dim=8, eval_max_images=100, device="cpu")
    assert config.dataset == "celeba_identities" and config.model == "resnet18" and config.loss == "arcface"
    result = train_verification(config)
    test_rows = result.history[(result.history.split == "test") & (result.history.epoch == 1)]
    assert {"eer", "tar_group@0.001", "eer_gap"} <= set(test_rows.metric)
    assert set(test_rows.group) == {"not Male", "Male", "all"}
