"""The CelebA reader on tiny fixtures written in the real file format (see celeba_fixture.py)."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch

from fairgap.data import load_dataset
from fairgap.data.celeba import ATTRIBUTES, load_celeba

try:
    from .celeba_fixture import CELEBA_ATTRIBUTES, attribute_line, write_celeba_fixture
except ImportError:  # tests/ is not a package: pytest puts this folder on sys.path
    from celeba_fixture import CELEBA_ATTRIBUTES, attribute_line, write_celeba_fixture


@pytest.fixture
def data(tmp_path, monkeypatch):
    """FAIRGAP_DATA in a temporary folder, so the cache never touches the repository."""
    folder = tmp_path / "data"
    monkeypatch.setenv("FAIRGAP_DATA", str(folder))
    return folder


@pytest.fixture
def fx(tmp_path, data):
    """A 12-image CelebA folder outside the data folder (so root= is exercised)."""
    return write_celeba_fixture(tmp_path / "celeba", n=12, seed=0)


def expected(fx, files, target, sensitive):
    """Target and group (0/1) of ``files`` as the fixture wrote them."""
    rows = [fx["files"].index(f) for f in files]
    column = fx["names"].index
    values = (fx["attributes"][rows] > 0).astype(np.int64)
    return values[:, column(target)], values[:, column(sensitive)]


def assert_matches(dataset, fx, target, sensitive, splits=None):
    splits = splits or fx["splits"]
    assert list(dataset.splits) == ["train", "val", "test"]
    for name, files in splits.items():
        split = dataset[name]
        y, g = expected(fx, files, target, sensitive)
        assert len(split) == len(files)
        assert split.target.dtype == torch.int64 and split.group.dtype == torch.int64
        assert split.target.tolist() == y.tolist(), name
        assert split.group.tolist() == g.tolist(), name


def rewrite(path, edit):
    lines = path.read_text().splitlines()
    edit(lines)
    path.write_text("\n".join(lines) + "\n")


# --- reading ---

def test_fixture_has_the_real_format(fx):
    text = (fx["root"] / "list_attr_celeba.txt").read_text().splitlines()
    assert text[0] == "12"
    assert text[1].split() == list(ATTRIBUTES) == CELEBA_ATTRIBUTES
    assert attribute_line("000001.jpg", [-1, 1, 1, -1]) == "000001.jpg -1  1  1 -1"
    assert len(text[2].split()) == 41 and text[2].startswith("000001.jpg ")
    assert (fx["root"] / "list_eval_partition.txt").read_text().splitlines()[0] == "000001.jpg 0"
    assert sorted(os.listdir(fx["root"] / "img_align_celeba"))[:2] == ["000001.jpg", "000002.jpg"]
    assert all(fx["splits"][s] for s in ("train", "val", "test"))


def test_reads_splits_labels_and_groups(fx):
    dataset = load_celeba(root=fx["root"], target="Smiling", sensitive="Male", image_size=32)
    assert dataset.name == "celeba"
    assert dataset.target_name == "Smiling" and dataset.group_name == "Male"
    assert dataset.group_labels == ("not Male", "Male")
    assert dataset.info["skipped_corrupt"] == []
    assert_matches(dataset, fx, "Smiling", "Male")
    for split in dataset.splits.values():
        assert split.images.dtype == torch.uint8
        assert tuple(split.images.shape[1:]) == (3, 32, 32)
    assert dataset.image_shape == (3, 32, 32)


@pytest.mark.parametrize("target, sensitive", [("5_o_Clock_Shadow", "Young"), ("Young", "Wearing_Necktie"),
                                               ("Eyeglasses", "Blond_Hair")])
def test_any_attribute_pair(fx, target, sensitive):
    dataset = load_celeba(root=fx["root"], target=target, sensitive=sensitive, image_size=8, cache=False)
    assert_matches(dataset, fx, target, sensitive)
    assert dataset.group_labels == (f"not {sensitive}", sensitive)


def test_images_are_center_cropped_and_in_file_order(fx):
    dataset = load_celeba(root=fx["root"], image_size=16, cache=False)
    for name, files in fx["splits"].items():
        images = dataset[name].images.numpy().astype(float)
        colors = fx["colors"][[fx["files"].index(f) for f in files]].astype(float)
        # Whole-image mean: a squashed (uncropped) or off-center image mixes in the black bands.
        assert np.abs(images.mean(axis=(2, 3)) - colors).max() < 5
        # The first and last rows lie at the edges of the crop: still the image's own colour.
        for row in (0, -1):
            assert np.abs(images[:, :, row, :].mean(axis=2) - colors).max() < 8


def test_max_per_split_keeps_the_first_images(fx):
    dataset = load_celeba(root=fx["root"], image_size=8, max_per_split=2)
    firsts = {name: files[:2] for name, files in fx["splits"].items()}
    assert_matches(dataset, fx, "Smiling", "Male", firsts)


def test_tolerates_crlf_and_extra_spaces(fx):
    reference = load_celeba(root=fx["root"], image_size=8, cache=False)
    for name in ("list_attr_celeba.txt", "list_eval_partition.txt"):
        path = fx["root"] / name
        path.write_bytes(path.read_bytes().replace(b" ", b"   ").replace(b"\n", b"\r\n"))
    dataset = load_celeba(root=fx["root"], image_size=8, cache=False)
    for name in reference.splits:
        assert torch.equal(dataset[name].target, reference[name].target)
        assert torch.equal(dataset[name].group, reference[name].group)


def test_default_root_and_load_dataset(data):
    fx = write_celeba_fixture(data / "celeba", n=6, seed=1)
    dataset = load_dataset("celeba", target="Young", sensitive="Eyeglasses", image_size=8)
    assert_matches(dataset, fx, "Young", "Eyeglasses")
    assert dataset.info["root"] == str((data / "celeba").resolve())


# --- cache ---

def test_second_load_is_served_from_the_cache(fx, data):
    first = load_celeba(root=fx["root"], image_size=16)
    assert len(list((data / "cache").glob("celeba-*"))) == 1
    for path in (fx["root"] / "img_align_celeba").iterdir():
        path.unlink()
    second = load_celeba(root=fx["root"], image_size=16)
    for name in first.splits:
        assert torch.equal(first[name].images, second[name].images)
        assert torch.equal(first[name].target, second[name].target)
        assert torch.equal(first[name].group, second[name].group)
    # Without the cache the JPEGs are needed: the second load really came from the cache.
    with pytest.raises(FileNotFoundError):
        load_celeba(root=fx["root"], image_size=16, cache=False)
    # Other options are other cache entries.
    with pytest.raises(FileNotFoundError):
        load_celeba(root=fx["root"], image_size=16, target="Young")


def test_cache_is_rebuilt_when_an_annotation_file_changes(fx, data):
    load_celeba(root=fx["root"], image_size=8)
    path = fx["root"] / "list_attr_celeba.txt"
    column = fx["names"].index("Smiling")
    fx["attributes"][0, column] *= -1
    rewrite(path, lambda lines: lines.__setitem__(2, attribute_line(fx["files"][0], fx["attributes"][0])))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert_matches(load_celeba(root=fx["root"], image_size=8), fx, "Smiling", "Male")
    assert len(list((data / "cache").glob("celeba-*"))) == 2


def test_cache_false_writes_nothing(fx, data):
    load_celeba(root=fx["root"], image_size=8, cache=False)
    assert not (data / "cache").exists()


# --- errors ---

def test_missing_root_explains_layout_and_download(tmp_path, data):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as info:
        load_celeba(root=missing)
    message = str(info.value)
    for text in (str(missing), "img_align_celeba", "list_attr_celeba.txt", "list_eval_partition.txt",
                 "mmlab.ie.cuhk.edu.hk/projects/CelebA.html", "Align&Cropped Images", "Anno", "Eval", "Kaggle",
                 str(data / "celeba"), "root="):
        assert text in message


def test_missing_default_root_names_data_celeba(data):
    with pytest.raises(FileNotFoundError, match="does not exist") as info:
        load_celeba()
    assert str(data / "celeba") in str(info.value)


@pytest.mark.parametrize("entry", ["list_attr_celeba.txt", "list_eval_partition.txt", "img_align_celeba"])
def test_missing_entry_is_named(fx, entry):
    path = fx["root"] / entry
    if path.is_dir():
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
    else:
        path.unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_celeba(root=fx["root"])
    message = str(info.value)
    assert f"missing: {path.resolve()}" in message
    assert "mmlab.ie.cuhk.edu.hk" in message


@pytest.mark.parametrize("options, role", [({"target": "Smile"}, "target"), ({"sensitive": "male"}, "sensitive")])
def test_unknown_attribute_lists_the_40_names(fx, options, role):
    with pytest.raises(ValueError, match=f"Unknown CelebA attribute .* for {role}") as info:
        load_celeba(root=fx["root"], **options)
    message = str(info.value)
    assert all(name in message for name in CELEBA_ATTRIBUTES)


def test_target_equal_to_sensitive_is_an_error(fx):
    with pytest.raises(ValueError, match="different"):
        load_celeba(root=fx["root"], target="Male", sensitive="Male")


def _drop_value(lines):
    lines[6] = lines[6].rsplit(" ", 1)[0]


def _bad_value(lines):
    lines[4] = lines[4][:-2] + " 0"


def _short_header(lines):
    lines[1] = " ".join(CELEBA_ATTRIBUTES[:-1])


def _wrong_count(lines):
    lines[0] = "13"


@pytest.mark.parametrize("edit, lineno, text", [(_drop_value, 7, "found 39 value"), (_bad_value, 5, "'0'"),
                                                (_short_header, 2, "found 39 names"), (_wrong_count, 1, "13")])
def test_malformed_attribute_file_names_file_and_line(fx, edit, lineno, text):
    path = fx["root"] / "list_attr_celeba.txt"
    rewrite(path, edit)
    with pytest.raises(ValueError) as info:
        load_celeba(root=fx["root"], image_size=8)
    message = str(info.value)
    assert f"{path}, line {lineno}:" in message
    assert text in message


def test_malformed_partition_names_file_and_line(fx):
    path = fx["root"] / "list_eval_partition.txt"
    rewrite(path, lambda lines: lines.__setitem__(2, "000003.jpg 3"))
    with pytest.raises(ValueError, match=f"{path}, line 3:"):
        load_celeba(root=fx["root"], image_size=8)


def test_missing_image_is_named(fx):
    (fx["root"] / "img_align_celeba" / "000003.jpg").unlink()
    with pytest.raises(FileNotFoundError, match="000003.jpg"):
        load_celeba(root=fx["root"], image_size=8)


def test_truncated_jpeg(fx, data):
    path = fx["root"] / "img_align_celeba" / "000004.jpg"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    with pytest.raises(ValueError, match="000004.jpg.*skip_corrupt=True"):
        load_celeba(root=fx["root"], image_size=8)
    assert not (data / "cache").exists()

    with pytest.warns(UserWarning, match="skipped 1 corrupt image"):
        dataset = load_celeba(root=fx["root"], image_size=8, skip_corrupt=True)
    assert dataset.info["skipped_corrupt"] == ["000004.jpg"]
    kept = {name: [f for f in files if f != "000004.jpg"] for name, files in fx["splits"].items()}
    assert sum(len(files) for files in kept.values()) == 11
    assert_matches(dataset, fx, "Smiling", "Male", kept)

    # Served from the cache, the skipped images are still reported.
    with pytest.warns(UserWarning, match="skipped 1 corrupt image"):
        again = load_celeba(root=fx["root"], image_size=8, skip_corrupt=True)
    assert again.info["skipped_corrupt"] == ["000004.jpg"]
    # ... and a load that does not allow skipping never gets that entry.
    with pytest.raises(ValueError, match="000004.jpg"):
        load_celeba(root=fx["root"], image_size=8)


def test_many_images_keep_their_order_across_decoding_batches(tmp_path, data):
    fx = write_celeba_fixture(tmp_path / "celeba", n=1100, seed=2, image_size=(10, 12))
    path = fx["root"] / "img_align_celeba" / "001030.jpg"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.warns(UserWarning, match="skipped 1 corrupt image"):
        dataset = load_celeba(root=fx["root"], target="Bald", sensitive="Young", image_size=4,
                              skip_corrupt=True, cache=False)
    assert dataset.info["skipped_corrupt"] == ["001030.jpg"]
    kept = {name: [f for f in files if f != "001030.jpg"] for name, files in fx["splits"].items()}
    assert_matches(dataset, fx, "Bald", "Young", kept)
    for name, files in kept.items():
        colors = fx["colors"][[int(f[:6]) - 1 for f in files]].astype(float)
        assert np.abs(dataset[name].images.numpy().mean(axis=(2, 3)) - colors).max() < 12


def test_no_warning_without_corrupt_images(fx):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_celeba(root=fx["root"], image_size=8, skip_corrupt=True)
