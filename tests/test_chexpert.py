"""The CheXpert-v1.0-small reader on tiny fixtures written in the real file format (see chexpert_fixture.py)."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
import torch

from fairgap.data import DATASETS, load_dataset
from fairgap.data.chexpert import HEADER as READER_HEADER
from fairgap.data.chexpert import load_chexpert

try:
    from .chexpert_fixture import FOLDER, HEADER, LABELS, write_chexpert_fixture, write_csv
except ImportError:  # tests/ is not a package: pytest puts this folder on sys.path
    from chexpert_fixture import FOLDER, HEADER, LABELS, write_chexpert_fixture, write_csv

SIZE = 8


@pytest.fixture
def data(tmp_path, monkeypatch):
    """FAIRGAP_DATA in a temporary folder, so the cache never touches the repository."""
    folder = tmp_path / "data"
    monkeypatch.setenv("FAIRGAP_DATA", str(folder))
    return folder


@pytest.fixture
def fx(tmp_path, data):
    """A CheXpert folder outside the data folder (so root= is exercised)."""
    return write_chexpert_fixture(tmp_path / "chexpert", n_train_patients=16, n_valid_patients=6, seed=0)


def expected(fx, csv_split, target="Pleural Effusion", sensitive="sex", uncertain="ignore", frontal_only=True,
             bins=(60,)):
    """(Path, target, group) of the rows the reader must keep from one CSV, in file order."""
    out = []
    for row in fx["rows"][csv_split]:
        if frontal_only and row["Frontal/Lateral"] != "Frontal":
            continue
        value = {"": 0, "0.0": 0, "1.0": 1, "-1.0": -1}[row[target]]
        if value == -1:
            if uncertain == "ignore":
                continue
            value = 1 if uncertain == "ones" else 0
        if sensitive == "sex":
            if row["Sex"] not in ("Male", "Female"):
                continue
            group = int(row["Sex"] == "Female")
        else:
            group = int(np.searchsorted(bins, float(row["Age"]), side="right"))
        out.append((row["Path"], value, group))
    return out


def patients(paths):
    return {re.search(r"patient\d+", p).group() for p in paths}


def check(dataset, fx, **policy):
    """Splits hold exactly the expected rows: test = valid.csv, train + val = train.csv split by patient."""
    levels = fx["levels"]
    test = expected(fx, "valid", **policy)
    assert dataset["test"].target.tolist() == [t for _, t, _ in test]
    assert dataset["test"].group.tolist() == [g for _, _, g in test]
    train_rows = expected(fx, "train", **policy)
    val_patients = None
    for name in ("train", "val"):
        split = dataset[name]
        # Which rows landed here: recover them from the images' grey levels (distinct per file).
        got = [int(round(float(v))) for v in split.images.float().mean(dim=(1, 2, 3))]
        chosen = []
        for level in got:
            matches = [r for r in train_rows if abs(levels[r[0]] - level) < 1]
            assert len(matches) == 1, f"grey level {level} matches {len(matches)} rows"
            chosen.append(matches[0])
        assert split.target.tolist() == [t for _, t, _ in chosen]
        assert split.group.tolist() == [g for _, _, g in chosen]
        assert chosen == [r for r in train_rows if r in chosen], f"{name} rows keep the CSV order"
        if name == "val":
            val_patients = patients(p for p, _, _ in chosen)
        else:
            train_patients = patients(p for p, _, _ in chosen)
    assert val_patients and train_patients and not (val_patients & train_patients), "split by patient"
    assert len(dataset["train"]) + len(dataset["val"]) == len(train_rows)
    for name in ("train", "val", "test"):
        assert dataset[name].images.shape[1:] == (1, SIZE, SIZE)
        assert dataset[name].images.dtype == torch.uint8


# --- the fixture itself ---

def test_fixture_has_the_real_format(fx):
    assert HEADER == list(READER_HEADER)
    for split in ("train", "valid"):
        lines = (fx["folder"] / f"{split}.csv").read_text().splitlines()
        assert lines[0] == ("Path,Sex,Age,Frontal/Lateral,AP/PA,No Finding,Enlarged Cardiomediastinum,Cardiomegaly,"
                            "Lung Opacity,Lung Lesion,Edema,Consolidation,Pneumonia,Atelectasis,Pneumothorax,"
                            "Pleural Effusion,Pleural Other,Fracture,Support Devices")
        pattern = rf"^{FOLDER}/{split}/patient\d{{5}}/study\d+/view\d_(frontal|lateral)\.jpg,(Male|Female|Unknown),\d+," \
                  r"(Frontal,(AP|PA)|Lateral,),((1\.0|0\.0|-1\.0|),){13}(1\.0|0\.0|-1\.0|)$"
        assert all(re.match(pattern, line) for line in lines[1:]), split
    train = (fx["folder"] / "train.csv").read_text()
    assert ",-1.0," in train and ",," in train and ",Lateral,," in train
    assert "-1.0" not in (fx["folder"] / "valid.csv").read_text()
    assert (fx["folder"] / "valid.csv").read_text().splitlines()[1].startswith(f"{FOLDER}/valid/patient64541/study1/")
    first = fx["root"] / fx["rows"]["train"][0]["Path"]
    assert first.is_file() and first.read_bytes()[:2] == b"\xff\xd8"


# --- reading ---

def test_reads_splits_labels_groups_and_images(fx):
    dataset = load_chexpert(root=fx["root"], image_size=SIZE)
    assert dataset.name == "chexpert" and list(dataset.splits) == ["train", "val", "test"]
    assert dataset.target_name == "Pleural Effusion" and dataset.group_name == "sex"
    assert dataset.group_labels == ("male", "female")
    check(dataset, fx)
    assert dataset.info["dropped"]["train.csv"]["sex not Male/Female"] > 0  # the "Unknown" patient
    assert dataset.info["dropped"]["train.csv"]["lateral views"] > 0
    assert "valid.csv is the test split" in dataset.info["split"]


@pytest.mark.parametrize("uncertain", ["zeros", "ones", "ignore"])
def test_uncertain_label_policies(fx, uncertain):
    dataset = load_chexpert(root=fx["root"], target="Edema", uncertain=uncertain, image_size=SIZE, cache=False)
    check(dataset, fx, target="Edema", uncertain=uncertain)
    uncertain_rows = sum(r["Edema"] == "-1.0" and r["Frontal/Lateral"] == "Frontal" and r["Sex"] != "Unknown"
                         for r in fx["rows"]["train"])
    total = len(dataset["train"]) + len(dataset["val"])
    assert total == len(expected(fx, "train", target="Edema", uncertain="zeros")) - (uncertain == "ignore") * uncertain_rows


def test_blank_labels_are_negative(fx):
    dataset = load_chexpert(root=fx["root"], target="Cardiomegaly", uncertain="zeros", image_size=SIZE, cache=False)
    blanks = [r["Path"] for r in fx["rows"]["train"] if r["Cardiomegaly"] == "" and r["Frontal/Lateral"] == "Frontal"
              and r["Sex"] != "Unknown"]
    assert blanks
    check(dataset, fx, target="Cardiomegaly", uncertain="zeros")


def test_lateral_views_are_kept_when_asked(fx):
    dataset = load_chexpert(root=fx["root"], frontal_only=False, image_size=SIZE, cache=False)
    check(dataset, fx, frontal_only=False)
    assert len(dataset["train"]) + len(dataset["val"]) > len(expected(fx, "train"))


@pytest.mark.parametrize("bins, labels", [((60,), ("under 60", "60 and over")),
                                          ([40, 60, 80], ("under 40", "40-59", "60-79", "80 and over"))])
def test_age_groups_from_bin_edges(fx, bins, labels):
    dataset = load_chexpert(root=fx["root"], sensitive="age", age_bins=bins, image_size=SIZE, cache=False)
    assert dataset.group_name == "age" and dataset.group_labels == labels
    check(dataset, fx, sensitive="age", bins=tuple(bins))
    assert "sex not Male/Female" not in dataset.info["dropped"]["train.csv"]  # "Unknown" sex is kept for age


def test_images_are_grayscale_center_cropped_and_in_csv_order(fx):
    dataset = load_chexpert(root=fx["root"], image_size=16, cache=False)
    levels = [fx["levels"][p] for p, _, _ in expected(fx, "valid")]
    images = dataset["test"].images.numpy().astype(float)
    assert images.shape[1] == 1
    # A squashed (uncropped) or off-center image mixes in the black bands, and its edge rows darken.
    assert np.abs(images.mean(axis=(1, 2, 3)) - levels).max() < 4
    for row in (0, -1):
        assert np.abs(images[:, 0, row, :].mean(axis=1) - levels).max() < 6


def test_patient_split_is_seeded(fx):
    a = load_chexpert(root=fx["root"], image_size=SIZE, split_seed=1, cache=False)
    b = load_chexpert(root=fx["root"], image_size=SIZE, split_seed=1, cache=False)
    c = load_chexpert(root=fx["root"], image_size=SIZE, split_seed=2, val_fraction=0.3, cache=False)
    assert torch.equal(a["val"].images, b["val"].images)
    assert a.info["patients"] == b.info["patients"]
    assert c.info["patients"]["val"] > a.info["patients"]["val"]
    assert a.info["patients"]["test"] == 6


def test_max_patients_limits_train_csv_only(fx):
    dataset = load_chexpert(root=fx["root"], image_size=SIZE, max_patients=5, cache=False)
    assert dataset.info["patients"]["train"] + dataset.info["patients"]["val"] == 5
    assert len(dataset["test"]) == len(expected(fx, "valid"))


def test_root_may_be_the_small_folder_itself(fx):
    dataset = load_chexpert(root=fx["folder"], image_size=SIZE, cache=False)
    check(dataset, fx)


def test_default_root_and_load_dataset(data):
    assert "chexpert" in DATASETS
    fx = write_chexpert_fixture(data / "chexpert", n_train_patients=12, n_valid_patients=4, seed=1)
    dataset = load_dataset("chexpert", target="Lung Opacity", sensitive="age", image_size=SIZE)
    check(dataset, fx, target="Lung Opacity", sensitive="age")
    assert dataset.info["root"] == str((data / "chexpert").resolve())


# --- cache ---

def test_second_load_is_served_from_the_cache(fx, data):
    first = load_chexpert(root=fx["root"], image_size=SIZE)
    assert len(list((data / "cache").glob("chexpert-*"))) == 1
    for split in ("train", "valid"):
        for path in (fx["folder"] / split).rglob("*.jpg"):
            path.unlink()
    second = load_chexpert(root=fx["root"], image_size=SIZE)
    for name in first.splits:
        assert torch.equal(first[name].images, second[name].images)
        assert torch.equal(first[name].target, second[name].target)
    with pytest.raises(FileNotFoundError, match="missing under"):
        load_chexpert(root=fx["root"], image_size=SIZE, cache=False)


def test_cache_is_rebuilt_when_a_csv_changes(fx, data):
    load_chexpert(root=fx["root"], image_size=SIZE)
    rows = fx["rows"]["valid"]
    rows[0]["Pleural Effusion"] = "1.0" if rows[0]["Pleural Effusion"] == "0.0" else "0.0"
    path = fx["folder"] / "valid.csv"
    write_csv(path, rows)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    check(load_chexpert(root=fx["root"], image_size=SIZE), fx)
    assert len(list((data / "cache").glob("chexpert-*"))) == 2


# --- errors ---

def test_missing_root_explains_layout_and_download(tmp_path, data):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as info:
        load_chexpert(root=missing)
    message = str(info.value)
    for text in (str(missing), "does not exist", "CheXpert-v1.0-small", "train.csv", "valid.csv",
                 "train/patient00001/study1/view1_frontal.jpg", "stanfordmlgroup.github.io/competitions/chexpert",
                 '"small"', str(data / "chexpert"), "root="):
        assert text in message


def test_folder_without_csv_files_names_them(tmp_path, data):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError) as info:
        load_chexpert(root=tmp_path / "empty")
    message = str(info.value)
    assert str(tmp_path / "empty" / FOLDER / "train.csv") in message and "valid.csv" in message
    assert "stanfordmlgroup" in message


def test_zip_not_unzipped_is_pointed_out(tmp_path, data):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / f"{FOLDER}.zip").write_bytes(b"PK")
    with pytest.raises(FileNotFoundError, match="not unzipped"):
        load_chexpert(root=tmp_path / "c")


@pytest.mark.parametrize("name", ["train.csv", "valid.csv"])
def test_missing_csv_is_named(fx, name):
    (fx["folder"] / name).unlink()
    with pytest.raises(FileNotFoundError, match=f"missing: {re.escape(str(fx['folder'] / name))}"):
        load_chexpert(root=fx["root"])


@pytest.mark.parametrize("column", ["Sex", "Age", "Frontal/Lateral", "Pleural Effusion", "Path"])
def test_csv_without_a_needed_column_names_file_and_column(fx, column):
    path = fx["folder"] / "train.csv"
    write_csv(path, fx["rows"]["train"], header=[c for c in HEADER if c != column])
    with pytest.raises(ValueError) as info:
        load_chexpert(root=fx["root"], image_size=SIZE)
    assert f"{path}: column {column!r} is missing" in str(info.value)


def test_bad_label_value_names_file_line_and_column(fx):
    rows = fx["rows"]["valid"]
    rows[2]["Pleural Effusion"] = "yes"
    rows[2]["Frontal/Lateral"] = "Frontal"
    path = fx["folder"] / "valid.csv"
    write_csv(path, rows)
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}, line 4: Pleural Effusion is 'yes'"):
        load_chexpert(root=fx["root"], image_size=SIZE)


def test_bad_age_names_file_and_line(fx):
    rows = fx["rows"]["train"]
    rows[0]["Age"] = "old"
    path = fx["folder"] / "train.csv"
    write_csv(path, rows)
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}, line 2: Age is 'old'"):
        load_chexpert(root=fx["root"], sensitive="age", image_size=SIZE)


def test_missing_image_is_named(fx):
    row = next(r for r in fx["rows"]["valid"] if r["Frontal/Lateral"] == "Frontal")
    (fx["root"] / row["Path"]).unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(row["Path"].split("/", 1)[1])):
        load_chexpert(root=fx["root"], image_size=SIZE)


def test_truncated_jpeg_is_named(fx, data):
    row = next(r for r in fx["rows"]["valid"] if r["Frontal/Lateral"] == "Frontal")
    path = fx["root"] / row["Path"]
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="cannot be decoded"):
        load_chexpert(root=fx["root"], image_size=SIZE)
    assert not (data / "cache").exists()


@pytest.mark.parametrize("options, text", [
    ({"target": "Effusion"}, "Unknown CheXpert label 'Effusion' for target. Did you mean 'Pleural Effusion'"),
    ({"sensitive": "race"}, "sensitive='race' is not supported; choose one of sex, age"),
    ({"uncertain": "drop"}, "'zeros' .*'ones' .*'ignore'"),
    ({"age_bins": (60, 40)}, "increasing ages"),
    ({"age_bins": ()}, "increasing ages"),
    ({"image_size": 0}, "image_size=0"),
    ({"val_fraction": 0.0}, "val_fraction=0.0"),
    ({"max_patients": 1}, "max_patients=1"),
])
def test_invalid_options_say_what_is_valid(fx, options, text):
    with pytest.raises(ValueError, match=text) as info:
        load_chexpert(root=fx["root"], **options)
    if "target" in options:
        assert all(label in str(info.value) for label in LABELS)
