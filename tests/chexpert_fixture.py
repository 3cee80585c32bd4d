"""Tiny CheXpert-v1.0-small folders in exactly the format of the real download, for tests of the reader.

``write_chexpert_fixture(root)`` writes::

    root/CheXpert-v1.0-small/
    ├── train.csv     the real header, in the real order; "CheXpert-v1.0-small/train/patient00001/study1/
    │                 view1_frontal.jpg,Female,68,Frontal,AP,1.0,,,,,,,,,0.0,,,,1.0"-style rows: labels
    │                 1.0 / 0.0 / -1.0 / blank, laterals with a blank AP/PA
    ├── valid.csv     the same header; labels 0.0 / 1.0 only; patients from patient64541 on, as in the real file
    ├── train/patient00001/study1/view1_frontal.jpg ...   real grayscale JPEGs
    └── valid/patient64541/study1/view1_frontal.jpg ...

Each image is one flat grey level (distinct for the first 115 images, so a test can tell which file a
decoded image came from) with black bands over the rows that the center crop must remove.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

# The header of the real train.csv and valid.csv, in its order.
HEADER = ["Path", "Sex", "Age", "Frontal/Lateral", "AP/PA", "No Finding", "Enlarged Cardiomediastinum",
          "Cardiomegaly", "Lung Opacity", "Lung Lesion", "Edema", "Consolidation", "Pneumonia", "Atelectasis",
          "Pneumothorax", "Pleural Effusion", "Pleural Other", "Fracture", "Support Devices"]
LABELS = HEADER[5:]
FOLDER = "CheXpert-v1.0-small"
FIRST_VALID_PATIENT = 64541


def write_chexpert_fixture(root: Path, n_train_patients: int = 16, n_valid_patients: int = 6, seed: int = 0,
                           image_size=(40, 48), unknown_sex: bool = True) -> dict:
    """Write both CSV files and their JPEGs under ``root/CheXpert-v1.0-small``; return what was written.

    Every patient has one or two studies; each study has a frontal view and, half of the time, a
    lateral one. image_size is (width, height) as PIL counts it. With ``unknown_sex``, the second
    training patient's Sex is "Unknown" (the real train.csv has such a row).

    Returns a dict with "root", "folder", "rows" ({"train": [...], "valid": [...]}, each row a dict
    of the CSV's strings) and "levels" ({Path: grey level of that image inside the crop}).
    """
    root = Path(root)
    folder = root / FOLDER
    rng = np.random.default_rng(seed)
    width, height = image_size
    side = min(width, height)
    top, left = (height - side) // 2, (width - side) // 2
    rows = {"train": [], "valid": []}
    levels = {}
    counter = 0
    for split, first, n in (("train", 1, n_train_patients), ("valid", FIRST_VALID_PATIENT, n_valid_patients)):
        for p in range(first, first + n):
            sex = "Unknown" if unknown_sex and split == "train" and p == 2 else str(rng.choice(["Male", "Female"]))
            age = str(int(rng.integers(18, 91)))
            for study in range(1, int(rng.integers(1, 3)) + 1):
                views = [("view1_frontal.jpg", "Frontal", str(rng.choice(["AP", "PA"])))]
                if rng.random() < 0.5:
                    views.append(("view2_lateral.jpg", "Lateral", ""))
                for name, view, projection in views:
                    path = f"{FOLDER}/{split}/patient{p:05d}/study{study}/{name}"
                    if split == "train":
                        labels = rng.choice(["1.0", "0.0", "-1.0", ""], size=len(LABELS), p=[0.3, 0.25, 0.15, 0.3])
                    else:
                        labels = rng.choice(["1.0", "0.0"], size=len(LABELS))
                    rows[split].append(dict(zip(HEADER, [path, sex, age, view, projection, *labels])))
                    level = 20 + (2 * counter) % 230  # distinct grey levels, 2 apart, for the first 115 images
                    counter += 1
                    levels[path] = level
                    pixels = np.zeros((height, width), dtype=np.uint8)
                    pixels[top:top + side, left:left + side] = level
                    file = root / path
                    file.parent.mkdir(parents=True, exist_ok=True)
                    Image.fromarray(pixels, mode="L").save(file, format="JPEG", quality=95)
    for split in ("train", "valid"):
        write_csv(folder / f"{split}.csv", rows[split])
    return {"root": root, "folder": folder, "rows": rows, "levels": levels}


def write_csv(path: Path, rows: list[dict], header=HEADER) -> None:
    """As the real files: comma-separated, no quoting, "\\n" line ends."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(column, "") for column in header])
