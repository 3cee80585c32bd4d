"""Reader for CheXpert-v1.0-small: chest radiographs labelled from radiology reports (Irvin et al., 2019).

The reader takes the files as they are downloaded from the Stanford ML Group's CheXpert page,
https://stanfordmlgroup.github.io/competitions/chexpert/ (register, then download the "small"
version, CheXpert-v1.0-small.zip, about 11 GB, and unzip it), placed under ``data/chexpert/``
(that is ``fairgap.paths.data_dir() / "chexpert"``) or in any folder passed as ``root``::

    chexpert/
    └── CheXpert-v1.0-small/
        ├── train.csv
        ├── valid.csv
        ├── train/patient00001/study1/view1_frontal.jpg ...
        └── valid/patient64541/study1/view1_frontal.jpg ...

``root`` may also be the ``CheXpert-v1.0-small`` folder itself. (The full-size ``CheXpert-v1.0``
folder has the same CSV format and is read too, if no small version is there; decoding is slower.)

``train.csv`` and ``valid.csv``
    Header ``Path,Sex,Age,Frontal/Lateral,AP/PA,No Finding,Enlarged Cardiomediastinum,
    Cardiomegaly,Lung Opacity,Lung Lesion,Edema,Consolidation,Pneumonia,Atelectasis,
    Pneumothorax,Pleural Effusion,Pleural Other,Fracture,Support Devices``; one row per image,
    e.g. ``CheXpert-v1.0-small/train/patient00001/study1/view1_frontal.jpg,Female,68,Frontal,AP,
    1.0,,,,,,,,,0.0,,,,1.0``. ``Path`` is relative to the folder that holds
    ``CheXpert-v1.0-small``. Needed columns: Path, Sex, Age, Frontal/Lateral and the target.

Labels. Each of the 14 label columns holds 1.0 (positive), 0.0 (negative), -1.0 (uncertain:
the report hedges) or nothing. **A blank is read as 0 (negative)**: the CheXpert labeler leaves a
finding blank when the report does not mention it, and the usual convention (and CheXpert's own
baselines) treat unmentioned findings as absent. Uncertain labels follow ``uncertain``, the
policies of the CheXpert paper: ``"zeros"`` (U-Zeros, -1 -> 0), ``"ones"`` (U-Ones, -1 -> 1) or
``"ignore"`` (U-Ignore: rows whose target is uncertain are dropped). valid.csv (radiologist
consensus) holds only 0.0 and 1.0.

Groups. ``sensitive="sex"``: group 0 = Male, 1 = Female; rows with another value ("Unknown")
are dropped. ``sensitive="age"``: ages are binned at the edges ``age_bins`` (default ``(60,)``:
group 0 = under 60, group 1 = 60 and over; ``(40, 60, 80)`` gives four groups).

Splits. CheXpert's valid.csv holds only 234 images (200 patients), far too few to estimate
per-group rates, and the official test set is not public. So the official **train.csv is split
by patient** into train and val (a seeded random ``val_fraction`` of its patients goes to val;
no patient is in both), and **valid.csv is the test split**. ``max_patients`` keeps a seeded random
subset of train.csv's patients, for quick runs; valid.csv is always read whole.

Images are decoded with PIL, converted to grayscale (1 channel), center-cropped to a square and
resized (bilinear) to ``image_size`` pixels, then kept as uint8 tensors. Decoding runs once: the
decoded splits go to the dataset cache (``data/cache/chexpert-<hash>/``), keyed by the resolved
root, the options and the size and modification time of both CSV files.
"""

from __future__ import annotations

import difflib
import os
import re
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import torch
from PIL import Image

from ..paths import data_dir
from .base import FairDataset, Split
from .cache import cached

HEADER = ("Path", "Sex", "Age", "Frontal/Lateral", "AP/PA", "No Finding", "Enlarged Cardiomediastinum",
          "Cardiomegaly", "Lung Opacity", "Lung Lesion", "Edema", "Consolidation", "Pneumonia", "Atelectasis",
          "Pneumothorax", "Pleural Effusion", "Pleural Other", "Fracture", "Support Devices")
LABELS = HEADER[5:]
FOLDERS = ("CheXpert-v1.0-small", "CheXpert-v1.0")
TRAIN_CSV, VALID_CSV = "train.csv", "valid.csv"
SENSITIVE = ("sex", "age")
UNCERTAIN = ("zeros", "ones", "ignore")
SEXES = {"Male": 0, "Female": 1}
URL = "https://stanfordmlgroup.github.io/competitions/chexpert/"

CACHE_VERSION = 1
PROGRESS_THRESHOLD = 2000
_CHUNK = 512
_VALUES = {"": 0, "0": 0, "0.0": 0, "1": 1, "1.0": 1, "-1": -1, "-1.0": -1}
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError)
_PATIENT = re.compile(r"^patient\d+$")


def load_chexpert(root: str | os.PathLike | None = None, target: str = "Pleural Effusion", sensitive: str = "sex",
                  age_bins=(60,), uncertain: str = "ignore", frontal_only: bool = True, image_size: int = 64,
                  val_fraction: float = 0.1, split_seed: int = 0, max_patients: int | None = None,
                  cache: bool = True) -> FairDataset:
    """Train/val (train.csv, split by patient) and test (valid.csv) with ``target`` as label.

    root: the folder holding ``CheXpert-v1.0-small/`` (or that folder itself); defaults to
        ``data_dir() / "chexpert"``.
    target: one of the 14 label columns (``LABELS``), e.g. "Pleural Effusion", "Cardiomegaly".
    sensitive: "sex" or "age"; age_bins: the age edges in years, increasing (group k holds ages in
        [edge k-1, edge k)).
    uncertain: "zeros", "ones" or "ignore" (drop rows whose target is -1); blanks are always 0.
    frontal_only: keep only frontal views (Frontal/Lateral == "Frontal").
    image_size: side of the square grayscale images, in pixels.
    val_fraction: share of train.csv's patients that form the val split; split_seed: its seed.
    max_patients: keep only this many (seeded, random) train.csv patients; None keeps all.

    Raises FileNotFoundError when the folder, a CSV or a listed image is missing, and ValueError for
    a bad option, a CSV without a needed column, an unreadable value or an undecodable image.
    """
    age_bins = _check_options(target, sensitive, age_bins, uncertain, image_size, val_fraction, max_patients)
    root = (Path(root).expanduser() if root is not None else data_dir() / "chexpert").resolve()
    folder = find_folder(root)
    options = {
        "root": str(root), "folder": str(folder), "target": target, "sensitive": sensitive,
        "age_bins": list(age_bins), "uncertain": uncertain, "frontal_only": bool(frontal_only),
        "image_size": int(image_size), "val_fraction": float(val_fraction), "split_seed": int(split_seed),
        "max_patients": None if max_patients is None else int(max_patients), "version": CACHE_VERSION,
        "csv": {name: _fingerprint(folder / name) for name in (TRAIN_CSV, VALID_CSV)},
    }
    return cached("chexpert", options, lambda: _build(folder, options), cache)


# --- checks that run before anything is decoded or read from the cache ---

def _check_options(target, sensitive, age_bins, uncertain, image_size, val_fraction, max_patients) -> tuple:
    if target not in LABELS:
        close = difflib.get_close_matches(str(target), LABELS, n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"Unknown CheXpert label {target!r} for target.{hint} The 14 labels are: {', '.join(LABELS)}.")
    if sensitive not in SENSITIVE:
        raise ValueError(f"sensitive={sensitive!r} is not supported; choose one of {', '.join(SENSITIVE)}.")
    if uncertain not in UNCERTAIN:
        raise ValueError(f"uncertain={uncertain!r} is not a policy for uncertain (-1.0) labels; choose "
                         "'zeros' (read as 0), 'ones' (read as 1) or 'ignore' (drop those rows).")
    try:
        edges = tuple(float(e) for e in np.atleast_1d(np.asarray(age_bins, dtype=object)))
    except (TypeError, ValueError):
        edges = ()
    if not edges or any(not np.isfinite(e) for e in edges) or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"age_bins={age_bins!r} must be one or more increasing ages in years, e.g. (60,) for "
                         "under 60 / 60 and over, or (40, 60, 80).")
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) or image_size < 1:
        raise ValueError(f"image_size={image_size!r} must be a positive number of pixels.")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction={val_fraction!r} must be strictly between 0 and 1 (the share of "
                         "train.csv's patients used for validation).")
    if max_patients is not None and (isinstance(max_patients, bool) or not isinstance(max_patients, (int, np.integer))
                                     or max_patients < 2):
        raise ValueError(f"max_patients={max_patients!r} must be None or a number of patients (at least 2).")
    return edges


def _layout_help(root: Path) -> str:
    return (
        "CheXpert is expected in this layout:\n"
        f"  {root}/\n"
        "  └── CheXpert-v1.0-small/\n"
        "      ├── train.csv\n"
        "      ├── valid.csv\n"
        "      ├── train/patient00001/study1/view1_frontal.jpg ...\n"
        "      └── valid/patient64541/study1/view1_frontal.jpg ...\n"
        f"Download it from the Stanford ML Group's CheXpert page, {URL} (register, then download "
        "the \"small\" version, CheXpert-v1.0-small.zip, about 11 GB) and unzip it there: put it under "
        f"{data_dir() / 'chexpert'}/ (data/chexpert/ in the project, or $FAIRGAP_DATA/chexpert/ when "
        "FAIRGAP_DATA is set), or pass root=... (the folder holding CheXpert-v1.0-small, or that folder itself)."
    )


def find_folder(root: Path) -> Path:
    """The folder that holds train.csv and valid.csv: ``root`` itself or its CheXpert-v1.0(-small) child."""
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "does not exist"
        raise FileNotFoundError(f"CheXpert folder {root} {what}.\n{_layout_help(root)}")
    candidates = [root] + [root / name for name in FOLDERS]
    for folder in candidates:
        if (folder / TRAIN_CSV).is_file() or (folder / VALID_CSV).is_file():
            missing = [folder / name for name in (TRAIN_CSV, VALID_CSV) if not (folder / name).is_file()]
            if missing:
                raise FileNotFoundError("CheXpert is incomplete; missing: " + ", ".join(map(str, missing))
                                        + ".\n" + _layout_help(root))
            return folder
    hints = ""
    for name in FOLDERS:
        if (root / f"{name}.zip").is_file():
            hints += f"{root / (name + '.zip')} is there but not unzipped: unzip it inside {root}.\n"
    raise FileNotFoundError(f"No CheXpert CSV files in {root}; missing: {root / FOLDERS[0] / TRAIN_CSV}, "
                            f"{root / FOLDERS[0] / VALID_CSV}.\n{hints}{_layout_help(root)}")


def _fingerprint(path: Path) -> dict:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


# --- parsing ---

def read_csv(path: Path, target: str) -> pd.DataFrame:
    """One CheXpert CSV as strings (blanks as ""), checked for the columns this reader needs."""
    path = Path(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in ("Path", "Sex", "Age", "Frontal/Lateral", target):
        if column not in frame.columns:
            raise ValueError(f"{path}: column {column!r} is missing. A CheXpert CSV has the header "
                             f"{','.join(HEADER)}; this file has {','.join(frame.columns)}.")
    return frame


def _label_values(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    raw = frame[column].str.strip()
    values = raw.map(_VALUES)
    bad = values.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{path}, line {row + 2}: {column} is {raw.iloc[row]!r}; CheXpert labels are 1.0, 0.0, "
                         "-1.0 (uncertain) or blank.")
    return values.to_numpy(dtype=np.int64)


def _ages(frame: pd.DataFrame, path: Path) -> np.ndarray:
    ages = pd.to_numeric(frame["Age"].str.strip(), errors="coerce")
    bad = ages.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{path}, line {row + 2}: Age is {frame['Age'].iloc[row]!r}, not a number of years.")
    return ages.to_numpy(dtype=np.float64)


def patient_of(path: str) -> str:
    """The ``patientNNNNN`` part of a CheXpert image path."""
    for part in PurePosixPath(path).parts:
        if _PATIENT.match(part):
            return part
    raise ValueError(f"Image path {path!r} has no patientNNNNN folder; CheXpert paths look like "
                     "CheXpert-v1.0-small/train/patient00001/study1/view1_frontal.jpg.")


def image_file(folder: Path, path: str) -> Path:
    """Where a CSV ``Path`` lies: relative to the folder holding CheXpert-v1.0-small (dropped if present)."""
    parts = PurePosixPath(path.strip()).parts
    if parts and parts[0].startswith("CheXpert-v1.0"):
        parts = parts[1:]
    return folder.joinpath(*parts)


def group_labels(sensitive: str, edges: tuple) -> tuple[str, ...]:
    if sensitive == "sex":
        return ("male", "female")
    integral = all(float(e).is_integer() for e in edges)
    fmt = lambda e: f"{e:g}"  # noqa: E731
    labels = [f"under {fmt(edges[0])}"]
    for low, high in zip(edges, edges[1:]):
        labels.append(f"{fmt(low)}-{fmt(high - 1)}" if integral else f"[{fmt(low)}, {fmt(high)})")
    labels.append(f"{fmt(edges[-1])} and over")
    return tuple(labels)


def select_rows(frame: pd.DataFrame, path: Path, options: dict) -> tuple[pd.DataFrame, dict]:
    """Apply the view filter, the sensitive attribute and the uncertain-label policy.

    Returns the kept rows with integer columns ``target``, ``group`` and the string ``patient``, and
    how many rows each rule dropped.
    """
    dropped = {}
    rows = frame.assign(_line=np.arange(len(frame)) + 2)
    views = rows["Frontal/Lateral"].str.strip()
    unknown_view = ~views.isin(("Frontal", "Lateral"))
    if unknown_view.any():
        row = int(np.flatnonzero(unknown_view.to_numpy())[0])
        raise ValueError(f"{path}, line {row + 2}: Frontal/Lateral is {views.iloc[row]!r}; expected Frontal or Lateral.")
    if options["frontal_only"]:
        keep = (views == "Frontal").to_numpy()
        dropped["lateral views"] = int((~keep).sum())
        rows = rows[keep]

    label = _label_values(rows, options["target"], path)
    if options["uncertain"] == "ignore":
        keep = label != -1
        dropped[f"uncertain {options['target']}"] = int((~keep).sum())
        rows, label = rows[keep], label[keep]
    else:
        label = np.where(label == -1, 1 if options["uncertain"] == "ones" else 0, label)

    if options["sensitive"] == "sex":
        sex = rows["Sex"].str.strip()
        keep = sex.isin(SEXES).to_numpy()
        dropped["sex not Male/Female"] = int((~keep).sum())
        rows, label = rows[keep], label[keep]
        group = rows["Sex"].str.strip().map(SEXES).to_numpy(dtype=np.int64)
    else:
        group = np.searchsorted(np.asarray(options["age_bins"]), _ages(rows, path), side="right").astype(np.int64)

    rows = rows.assign(target=label, group=group, patient=[patient_of(p) for p in rows["Path"]])
    return rows, dropped


def split_patients(patients: np.ndarray, val_fraction: float, seed: int, max_patients: int | None):
    """(train patients, val patients): a seeded random, disjoint split of the unique patients."""
    unique = np.array(sorted(set(patients.tolist())))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(unique))
    if max_patients is not None:
        order = order[:max_patients]
    n_val = max(1, int(round(val_fraction * len(order)))) if len(order) > 1 else 0
    return set(unique[order[n_val:]].tolist()), set(unique[order[:n_val]].tolist())


# --- decoding ---

def decode_image(path: Path, size: int) -> np.ndarray:
    """One image as uint8 [1, size, size]: grayscale, center-cropped to a square, resized (bilinear)."""
    with Image.open(path) as image:
        image = image.convert("L")
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    image = image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.uint8)[None]


def _decode_all(paths: list[Path], size: int) -> np.ndarray:
    from tqdm.auto import tqdm

    images = np.zeros((len(paths), 1, size, size), dtype=np.uint8)

    def work(i: int):
        try:
            images[i] = decode_image(paths[i], size)
        except FileNotFoundError:
            raise
        except _DECODE_ERRORS as err:
            raise ValueError(f"{paths[i]} cannot be decoded ({type(err).__name__}: {err}); the file is truncated "
                             "or corrupt. Unzip CheXpert-v1.0-small.zip again.") from err

    workers = min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool, \
            tqdm(total=len(paths), desc="Decoding CheXpert", unit="img", disable=len(paths) <= PROGRESS_THRESHOLD) as bar:
        for start in range(0, len(paths), _CHUNK):
            indices = range(start, min(start + _CHUNK, len(paths)))
            list(pool.map(work, indices))
            bar.update(len(indices))
    return images


def _build(folder: Path, options: dict) -> FairDataset:
    train_path, valid_path = folder / TRAIN_CSV, folder / VALID_CSV
    train_rows, train_dropped = select_rows(read_csv(train_path, options["target"]), train_path, options)
    test_rows, test_dropped = select_rows(read_csv(valid_path, options["target"]), valid_path, options)
    train_patients, val_patients = split_patients(train_rows["patient"].to_numpy(), options["val_fraction"],
                                                  options["split_seed"], options["max_patients"])
    parts = {"train": train_rows[train_rows.patient.isin(train_patients)],
             "val": train_rows[train_rows.patient.isin(val_patients)],
             "test": test_rows}

    files = {name: [image_file(folder, p) for p in rows["Path"]] for name, rows in parts.items()}
    missing = [str(f) for paths in files.values() for f in paths if not f.is_file()]
    if missing:
        shown = ", ".join(missing[:10]) + (f", ... ({len(missing)} in all)" if len(missing) > 10 else "")
        raise FileNotFoundError(f"{len(missing)} image(s) listed in {train_path.name}/{valid_path.name} are missing "
                                f"under {folder}: {shown}. Unzip CheXpert-v1.0-small.zip again so that the paths in "
                                "the CSV files exist.")

    order = [f for name in ("train", "val", "test") for f in files[name]]
    images = _decode_all(order, options["image_size"])
    splits, start = {}, 0
    for name in ("train", "val", "test"):
        rows = parts[name]
        stop = start + len(rows)
        splits[name] = Split(torch.from_numpy(images[start:stop]),
                             torch.from_numpy(np.array(rows["target"], dtype=np.int64)),
                             torch.from_numpy(np.array(rows["group"], dtype=np.int64)))
        start = stop

    labels = group_labels(options["sensitive"], tuple(options["age_bins"]))
    info = {"root": options["root"], "folder": str(folder), "image_size": options["image_size"],
            "split": "train.csv split by patient into train/val (seeded); valid.csv is the test split",
            "val_fraction": options["val_fraction"], "split_seed": options["split_seed"],
            "max_patients": options["max_patients"], "uncertain": options["uncertain"],
            "blank_labels": "read as 0 (not mentioned in the report)", "frontal_only": options["frontal_only"],
            "patients": {name: int(rows["patient"].nunique()) for name, rows in parts.items()},
            "dropped": {"train.csv": train_dropped, "valid.csv": test_dropped}}
    if options["sensitive"] == "age":
        info["age_bins"] = options["age_bins"]
    return FairDataset("chexpert", splits, target_name=options["target"], group_name=options["sensitive"],
                       group_labels=labels, info=info)
