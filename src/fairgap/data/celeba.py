"""Reader for CelebA: aligned face photographs with 40 binary attributes (Liu et al., 2015).

The reader takes the standard files as they are downloaded from the official project page,
http://mmlab.ie.cuhk.edu.hk/projects/CelebA.html (MMLAB, CUHK), placed under ``data/celeba/``
(that is ``fairgap.paths.data_dir() / "celeba"``) or in any folder passed as ``root``::

    celeba/
    ├── img_align_celeba/         000001.jpg ... 202599.jpg  ("Align&Cropped Images": img_align_celeba.zip, unzipped)
    ├── list_attr_celeba.txt      (from the "Anno" folder)
    └── list_eval_partition.txt   (from the "Eval" folder)

``list_attr_celeba.txt``
    line 1: the number of images; line 2: the 40 attribute names, separated by spaces; then one
    line per image: its file name followed by 40 values, each -1 or 1, separated by one or more
    spaces (values are right-aligned, so ``"000001.jpg -1  1  1 -1 ..."``).
``list_eval_partition.txt``
    one line per image, ``"000001.jpg 0"``: 0 = train, 1 = val, 2 = test (the official split,
    used as is).

Both files are parsed here rather than through ``torchvision.datasets.CelebA``, which insists
on the md5 sums of the original archives. Any attribute can be the target and any other the
sensitive attribute; -1/1 become 0/1, and the group of an image is its sensitive attribute
(group 0 = ``"not <sensitive>"``, group 1 = ``<sensitive>``).

Images are decoded with PIL, converted to RGB, center-cropped to a square (aligned images are
178 x 218) and resized (bilinear, antialiased) to ``image_size`` pixels, then kept as uint8
tensors. Decoding runs once: the decoded splits go to the dataset cache
(``data/cache/celeba-<hash>/``), keyed by the resolved root, the options and the size and
modification time of both annotation files, so editing an annotation file triggers a new
decode, while later loads do not read the JPEGs at all.
"""

from __future__ import annotations

import difflib
import os
import struct
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..paths import data_dir
from .base import FairDataset, Split
from .cache import cached

# The 40 attributes, in the order of the header of list_attr_celeba.txt.
ATTRIBUTES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips",
    "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin",
    "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open",
    "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline",
    "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat",
    "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young",
)
SPLITS = ("train", "val", "test")  # partition codes 0, 1, 2

IMAGE_DIR = "img_align_celeba"
ATTR_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"

CACHE_VERSION = 1        # bump when the decoding changes, so that old cache entries are not served
PROGRESS_THRESHOLD = 2000  # show a progress bar when decoding more images than this
_VALUES = frozenset(("-1", "1"))  # the only values list_attr_celeba.txt may hold
_CHUNK = 512             # images handed to the decoding threads at a time
# What PIL raises for a truncated or otherwise undecodable file (FileNotFoundError is re-raised).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError)


def load_celeba(root: str | os.PathLike | None = None, target: str = "Smiling", sensitive: str = "Male",
                image_size: int = 64, cache: bool = True, skip_corrupt: bool = False,
                max_per_split: int | None = None) -> FairDataset:
    """CelebA's official train/val/test splits with ``target`` as label and ``sensitive`` as group.

    root: folder with ``img_align_celeba/``, ``list_attr_celeba.txt`` and ``list_eval_partition.txt``;
        defaults to ``data_dir() / "celeba"``.
    target, sensitive: two different names among the 40 attributes (see ``ATTRIBUTES``).
    image_size: side of the square images, in pixels.
    cache: read the decoded splits from the dataset cache, and write them there after decoding.
    skip_corrupt: leave out images that cannot be decoded instead of raising; their file names are
        listed in ``dataset.info["skipped_corrupt"]`` and a warning gives their number.
    max_per_split: keep only the first N images of each split (in file order), for quick runs;
        applied before corrupt images are skipped.

    Raises FileNotFoundError when the folder, an annotation file or a listed image is missing, and
    ValueError for an unknown attribute, a malformed annotation line or an undecodable image.
    """
    _check_options(target, sensitive, image_size, max_per_split)
    image_size = int(image_size)
    max_per_split = None if max_per_split is None else int(max_per_split)
    root = Path(root).expanduser() if root is not None else data_dir() / "celeba"
    root = root.resolve()
    _check_layout(root)
    _check_header(root / ATTR_FILE)

    options = {
        "root": str(root), "target": target, "sensitive": sensitive, "image_size": image_size,
        "skip_corrupt": bool(skip_corrupt), "max_per_split": max_per_split, "version": CACHE_VERSION,
        "annotations": {name: _fingerprint(root / name) for name in (ATTR_FILE, PARTITION_FILE)},
    }
    dataset = cached("celeba", options,
                     lambda: _build(root, target, sensitive, image_size, skip_corrupt, max_per_split), cache)
    skipped = dataset.info.get("skipped_corrupt", [])
    if skipped:
        shown = ", ".join(skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        warnings.warn(f"CelebA: skipped {len(skipped)} corrupt image(s) in {root / IMAGE_DIR} ({shown}); "
                      "dataset.info['skipped_corrupt'] lists them all. To include them again, re-extract them "
                      "from img_align_celeba.zip and load with cache=False.", stacklevel=2)
    return dataset


# --- checks that run before anything is decoded or read from the cache ---

def _check_options(target, sensitive, image_size, max_per_split) -> None:
    for role, name in (("target", target), ("sensitive", sensitive)):
        if name not in ATTRIBUTES:
            close = difflib.get_close_matches(str(name), ATTRIBUTES, n=3)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(f"Unknown CelebA attribute {name!r} for {role}.{hint} "
                             f"The 40 attributes are: {', '.join(ATTRIBUTES)}.")
    if target == sensitive:
        raise ValueError(f"target and sensitive are both {target!r}; choose two different attributes.")
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) or image_size < 1:
        raise ValueError(f"image_size={image_size!r} must be a positive number of pixels.")
    if max_per_split is not None and (isinstance(max_per_split, bool)
                                      or not isinstance(max_per_split, (int, np.integer)) or max_per_split < 1):
        raise ValueError(f"max_per_split={max_per_split!r} must be None or a positive number of images.")


def _layout_help(root: Path) -> str:
    return (
        "CelebA is expected in this layout:\n"
        f"  {root}/\n"
        f"  ├── {IMAGE_DIR}/         000001.jpg ... 202599.jpg\n"
        f"  ├── {ATTR_FILE}\n"
        f"  └── {PARTITION_FILE}\n"
        "Download CelebA from its official project page, http://mmlab.ie.cuhk.edu.hk/projects/CelebA.html "
        "(MMLAB, CUHK): 'Align&Cropped Images' holds img_align_celeba.zip (unzip it), 'Anno' holds "
        f"{ATTR_FILE} and 'Eval' holds {PARTITION_FILE}. Kaggle also mirrors CelebA (some mirrors ship .csv "
        "annotations instead; this reader needs the original .txt files). Put the files under "
        f"{data_dir() / 'celeba'}/ (data/celeba/ in the project, or $FAIRGAP_DATA/celeba/ when "
        "FAIRGAP_DATA is set), or pass root=... to load_celeba."
    )


def _check_layout(root: Path) -> None:
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "does not exist"
        raise FileNotFoundError(f"CelebA folder {root} {what}.\n{_layout_help(root)}")
    missing = ([root / IMAGE_DIR] if not (root / IMAGE_DIR).is_dir() else []) \
        + [root / name for name in (ATTR_FILE, PARTITION_FILE) if not (root / name).is_file()]
    if missing:
        hints = []
        if (root / f"{IMAGE_DIR}.zip").is_file() and root / IMAGE_DIR in missing:
            hints.append(f"{root / (IMAGE_DIR + '.zip')} is there but not unzipped: unzip it inside {root}.")
        for name in (ATTR_FILE, PARTITION_FILE):
            csv = root / name.replace(".txt", ".csv")
            if root / name in missing and csv.is_file():
                hints.append(f"{csv} is a Kaggle CSV version; the reader needs the original {name}.")
        raise FileNotFoundError("CelebA is incomplete; missing: " + ", ".join(str(m) for m in missing) + ".\n"
                                + "".join(h + "\n" for h in hints) + _layout_help(root))


def _check_header(path: Path) -> list[str]:
    """The attribute names of line 2, checked to be CelebA's 40 (in any order)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        handle.readline()
        names = handle.readline().split()
    if len(names) != len(ATTRIBUTES) or set(names) != set(ATTRIBUTES):
        unknown = [n for n in names if n not in ATTRIBUTES]
        absent = [n for n in ATTRIBUTES if n not in names]
        detail = f"found {len(names)} names" + (f"; unexpected: {unknown[:5]}" if unknown else "") \
            + (f"; missing: {absent[:5]}" if absent else "")
        raise ValueError(f"{path}, line 2: expected the 40 CelebA attribute names separated by spaces, {detail}. "
                         "Is this the original list_attr_celeba.txt?")
    return names


def _fingerprint(path: Path) -> dict:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


# --- parsing ---

def read_attributes(path: Path) -> tuple[list[str], np.ndarray, list[str]]:
    """Parse list_attr_celeba.txt: (file names, int8 values in {-1, 1} [N, 40], attribute names)."""
    path = Path(path)
    names = _check_header(path)
    files, rows = [], []
    seen = set()
    with open(path, encoding="utf-8", errors="replace") as handle:
        first = handle.readline().strip()
        try:
            declared = int(first)
        except ValueError:
            raise ValueError(f"{path}, line 1: expected the number of images, found {first[:40]!r}.") from None
        handle.readline()
        for lineno, line in enumerate(handle, start=3):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != len(names) + 1:
                raise ValueError(f"{path}, line {lineno}: expected a file name and {len(names)} values, "
                                 f"found {len(parts) - 1} value(s) after {parts[0]!r}.")
            values = parts[1:]
            if not _VALUES.issuperset(values):
                column, value = next((c, v) for c, v in enumerate(values) if v not in _VALUES)
                raise ValueError(f"{path}, line {lineno}: value {value!r} for {names[column]} of "
                                 f"{parts[0]} is not -1 or 1.")
            if parts[0] in seen:
                raise ValueError(f"{path}, line {lineno}: {parts[0]} is listed a second time.")
            seen.add(parts[0])
            files.append(parts[0])
            rows.append(values)
    if declared != len(files):
        raise ValueError(f"{path}, line 1: says {declared} images but the file lists {len(files)}; "
                         "is the file truncated?")
    values = np.array(rows, dtype=np.int8).reshape(len(files), len(names))
    return files, values, names


def read_partition(path: Path, known: set[str]) -> dict[str, list[str]]:
    """Parse list_eval_partition.txt: file names per split, in file order."""
    path = Path(path)
    splits = {name: [] for name in SPLITS}
    seen = set()
    with open(path, encoding="utf-8", errors="replace") as handle:
        for lineno, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
                raise ValueError(f"{path}, line {lineno}: expected '<file name> <0, 1 or 2>' "
                                 f"(0 = train, 1 = val, 2 = test), found {line.strip()[:80]!r}.")
            if parts[0] in seen:
                raise ValueError(f"{path}, line {lineno}: {parts[0]} is listed a second time.")
            if parts[0] not in known:
                raise ValueError(f"{path}, line {lineno}: {parts[0]} has no line in {ATTR_FILE}.")
            seen.add(parts[0])
            splits[SPLITS[int(parts[1])]].append(parts[0])
    return splits


# --- decoding ---

def decode_image(path: Path, size: int) -> np.ndarray:
    """One image as uint8 [3, size, size]: RGB, center-cropped to a square, resized (bilinear)."""
    with Image.open(path) as image:
        image = image.convert("RGB")
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    # Crop first: resize(box=...) would let the filter read pixels outside the box.
    image = image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)


def _decode_all(paths: list[Path], size: int, skip_corrupt: bool) -> tuple[np.ndarray, np.ndarray]:
    """Decode ``paths`` on a few threads (PIL releases the GIL): (images [N, 3, size, size], ok mask)."""
    from tqdm.auto import tqdm

    images = np.zeros((len(paths), 3, size, size), dtype=np.uint8)
    ok = np.ones(len(paths), dtype=bool)

    def work(i: int):
        try:
            images[i] = decode_image(paths[i], size)
        except FileNotFoundError:
            raise
        except _DECODE_ERRORS as err:
            return err
        return None

    workers = min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool, \
            tqdm(total=len(paths), desc="Decoding CelebA", unit="img",
                 disable=len(paths) <= PROGRESS_THRESHOLD) as bar:
        for start in range(0, len(paths), _CHUNK):
            indices = range(start, min(start + _CHUNK, len(paths)))
            for i, err in zip(indices, pool.map(work, indices)):
                if err is None:
                    continue
                if not skip_corrupt:
                    raise ValueError(f"{paths[i]} cannot be decoded ({type(err).__name__}: {err}); the file is "
                                     "truncated or corrupt. Re-extract it from img_align_celeba.zip, or pass "
                                     "skip_corrupt=True to leave such images out (they are then listed in "
                                     "dataset.info['skipped_corrupt']).") from err
                ok[i] = False
            bar.update(len(indices))
    return images, ok


def _build(root: Path, target: str, sensitive: str, image_size: int, skip_corrupt: bool,
           max_per_split: int | None) -> FairDataset:
    files, values, names = read_attributes(root / ATTR_FILE)
    row = {name: i for i, name in enumerate(files)}
    split_files = read_partition(root / PARTITION_FILE, set(row))
    if max_per_split is not None:
        split_files = {name: members[:max_per_split] for name, members in split_files.items()}

    image_dir = root / IMAGE_DIR
    present = {entry.name for entry in os.scandir(image_dir)}
    missing = [f for members in split_files.values() for f in members if f not in present]
    if missing:
        shown = ", ".join(missing[:10]) + (f", ... ({len(missing)} in all)" if len(missing) > 10 else "")
        raise FileNotFoundError(f"{len(missing)} image(s) listed in {root / PARTITION_FILE} are missing from "
                                f"{image_dir}/: {shown}. Unzip img_align_celeba.zip again into {root}.")

    order = [f for split in SPLITS for f in split_files[split]]
    images, ok = _decode_all([image_dir / f for f in order], image_size, skip_corrupt)

    target_col, sensitive_col = names.index(target), names.index(sensitive)
    splits, skipped, start = {}, [], 0
    for split in SPLITS:
        members = split_files[split]
        stop = start + len(members)
        keep = np.flatnonzero(ok[start:stop])
        skipped += [members[k] for k in np.flatnonzero(~ok[start:stop])]
        rows = np.array([row[members[k]] for k in keep], dtype=np.int64)
        block = images[start:stop] if len(keep) == len(members) else images[start:stop][keep]
        labels = (values[rows] > 0).astype(np.int64)  # -1/1 -> 0/1
        splits[split] = Split(torch.from_numpy(block), torch.from_numpy(labels[:, target_col].copy()),
                              torch.from_numpy(labels[:, sensitive_col].copy()))
        start = stop

    info = {"root": str(root), "image_size": image_size, "partition": "official (list_eval_partition.txt)",
            "max_per_split": max_per_split, "skipped_corrupt": skipped}
    return FairDataset("celeba", splits, target_name=target, group_name=sensitive,
                       group_labels=(f"not {sensitive}", sensitive), info=info)
