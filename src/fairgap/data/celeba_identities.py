"""CelebA identities for face verification: who is in each photo, from ``identity_CelebA.txt``.

Files, in the layout of ``fairgap.data.celeba`` plus the identity file (from the "Anno" folder
of the official download, http://mmlab.ie.cuhk.edu.hk/projects/CelebA.html)::

    celeba/
    ├── img_align_celeba/         000001.jpg ... 202599.jpg
    ├── list_attr_celeba.txt      the sensitive attribute (and the per-photo target) come from here
    ├── list_eval_partition.txt   needed for split_by="partition" (the default)
    └── identity_CelebA.txt       one line per image: "000001.jpg 2880" (file name, person number)

Splits, with disjoint people in training and test:

* which people are *training* and which *unseen* identities: ``split_by="partition"`` takes
  CelebA's official partition (its train, val and test parts hold different people): people of
  partition 0 train, people of partition 2 are the unseen ones, partition 1 is left out (a
  person listed under several partitions goes where most of its images are). ``split_by="hash"``
  instead sends a person to the unseen side when a seeded hash of its number falls below
  ``test_fraction`` (stable: adding people never moves others).
* ``train``: the training people's photos except a held-out share ``val_fraction`` (at least two
  per person, so that they form a genuine pair, and at most all but two; drawn with ``seed``), which
  forms ``val``: held-out photos of the SAME people.
* ``test``: all photos of the unseen people.

People with fewer than ``min_images`` photos are left out (verification needs genuine pairs).
The sensitive group is a property of the person: the majority value of ``sensitive`` over its
photos (ties count as having the attribute); ``info["group_disagreements"]`` counts photos whose
own annotation differs. ``target`` stays per photo (e.g. whether the person smiles in it).

Parsing and decoding are those of ``fairgap.data.celeba``; the decoded splits are cached the
same way (``data/cache/celeba_identities-<hash>/``), keyed by the options and the size and
modification time of every annotation file read.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from ..paths import data_dir
from .base import FairDataset, Split
from .cache import cached
from .celeba import (ATTR_FILE, IMAGE_DIR, PARTITION_FILE, SPLITS, _check_header, _check_options, _decode_all,
                     _fingerprint, _layout_help, read_attributes, read_partition)

IDENTITY_FILE = "identity_CelebA.txt"
SPLIT_BY = ("partition", "hash")
CACHE_VERSION = 1


def load_celeba_identities(root: str | os.PathLike | None = None, sensitive: str = "Male", target: str = "Smiling",
                           image_size: int = 64, split_by: str = "partition", test_fraction: float = 0.2,
                           val_fraction: float = 0.2, min_images: int = 4, max_identities: int | None = None,
                           seed: int = 0, cache: bool = True, skip_corrupt: bool = False) -> FairDataset:
    """Training identities (``train``, held-out photos in ``val``) and unseen identities (``test``); splits carry identity.

    root: the CelebA folder (default ``data_dir() / "celeba"``).
    sensitive, target: two of the 40 attributes; the group is the person's majority ``sensitive`` value.
    split_by: "partition" (official partition, people of part 0 vs part 2) or "hash" (seeded, ``test_fraction``).
    val_fraction: share of each training person's photos held out as ``val`` (at least two each).
    min_images: leave out people with fewer photos.
    max_identities: keep at most this many training and this many unseen people (a seeded choice), for quick runs.
    """
    _check_options(target, sensitive, image_size, None)
    if split_by not in SPLIT_BY:
        raise ValueError(f"split_by={split_by!r} must be one of {', '.join(SPLIT_BY)}.")
    for name, value in (("test_fraction", test_fraction), ("val_fraction", val_fraction)):
        if not 0 < value < 1:
            raise ValueError(f"{name}={value} must be strictly between 0 and 1.")
    if int(min_images) < 4:
        raise ValueError(f"min_images={min_images} must be at least 4 (a training person keeps two photos for "
                         "training and two held-out photos, a genuine pair, for val).")
    if max_identities is not None and int(max_identities) < 1:
        raise ValueError(f"max_identities={max_identities} must be None or a positive number of people.")
    root = (Path(root).expanduser() if root is not None else data_dir() / "celeba").resolve()
    files_needed = (ATTR_FILE, IDENTITY_FILE) + ((PARTITION_FILE,) if split_by == "partition" else ())
    _check_identity_layout(root, files_needed)
    _check_header(root / ATTR_FILE)
    options = {"root": str(root), "sensitive": sensitive, "target": target, "image_size": int(image_size),
               "split_by": split_by, "test_fraction": float(test_fraction), "val_fraction": float(val_fraction),
               "min_images": int(min_images), "max_identities": None if max_identities is None else int(max_identities),
               "seed": int(seed), "skip_corrupt": bool(skip_corrupt), "version": CACHE_VERSION,
               "annotations": {name: _fingerprint(root / name) for name in files_needed}}
    dataset = cached("celeba_identities", options, lambda: _build(root, options), cache)
    skipped = dataset.info.get("skipped_corrupt", [])
    if skipped:
        warnings.warn(f"CelebA identities: skipped {len(skipped)} corrupt image(s) in {root / IMAGE_DIR}; "
                      "dataset.info['skipped_corrupt'] lists them.", stacklevel=2)
    return dataset


def _check_identity_layout(root: Path, files_needed: tuple[str, ...]) -> None:
    help_text = (_layout_help(root) + f"\nFor face verification the reader also needs {IDENTITY_FILE} "
                 f"(from the 'Anno' folder of the same download) in {root}/.")
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "does not exist"
        raise FileNotFoundError(f"CelebA folder {root} {what}.\n{help_text}")
    missing = ([root / IMAGE_DIR] if not (root / IMAGE_DIR).is_dir() else []) \
        + [root / name for name in files_needed if not (root / name).is_file()]
    if missing:
        raise FileNotFoundError("CelebA is incomplete for face verification; missing: "
                                + ", ".join(str(m) for m in missing) + ".\n" + help_text)


def read_identities(path: Path, known: set[str] | None = None) -> dict[str, int]:
    """Parse identity_CelebA.txt: file name -> person number (a positive integer)."""
    path = Path(path)
    identity: dict[str, int] = {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        for lineno, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[1].isdigit():
                raise ValueError(f"{path}, line {lineno}: expected '<file name> <person number>', "
                                 f"found {line.strip()[:80]!r}.")
            if parts[0] in identity:
                raise ValueError(f"{path}, line {lineno}: {parts[0]} is listed a second time.")
            if known is not None and parts[0] not in known:
                raise ValueError(f"{path}, line {lineno}: {parts[0]} has no line in {ATTR_FILE}.")
            identity[parts[0]] = int(parts[1])
    return identity


def _unit_hash(seed: int, number: int) -> float:
    digest = hashlib.sha256(f"{seed}:{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def _build(root: Path, options: dict) -> FairDataset:
    files, values, names = read_attributes(root / ATTR_FILE)
    row = {name: i for i, name in enumerate(files)}
    identity_of = read_identities(root / IDENTITY_FILE, set(row))
    unlisted = [f for f in files if f not in identity_of]
    sensitive_col, target_col = names.index(options["sensitive"]), names.index(options["target"])

    people: dict[int, list[str]] = {}
    for name in sorted(identity_of):
        people.setdefault(identity_of[name], []).append(name)
    people = {p: members for p, members in people.items() if len(members) >= options["min_images"]}

    # Which side each person is on.
    side: dict[int, str] = {}
    if options["split_by"] == "partition":
        parts = read_partition(root / PARTITION_FILE, set(row))
        code_of = {f: code for code, split in enumerate(SPLITS) for f in parts[split]}
        for person, members in people.items():
            codes = np.bincount([code_of.get(f, 1) for f in members], minlength=3)
            code = int(np.argmax(codes))    # ties: the lower code
            side[person] = {0: "train", 2: "test"}.get(code, "")
    else:
        for person in people:
            side[person] = "test" if _unit_hash(options["seed"], person) < options["test_fraction"] else "train"
    train_people = sorted(p for p in people if side[p] == "train")
    test_people = sorted(p for p in people if side[p] == "test")
    if options["max_identities"] is not None:
        order = lambda ps: sorted(ps, key=lambda p: _unit_hash(options["seed"] + 1, p))  # noqa: E731
        train_people = sorted(order(train_people)[:options["max_identities"]])
        test_people = sorted(order(test_people)[:options["max_identities"]])
    if not train_people or not test_people:
        raise ValueError(f"CelebA identities: {len(train_people)} training and {len(test_people)} unseen people with at "
                         f"least {options['min_images']} photos each (split_by={options['split_by']!r}); both are "
                         "needed. Lower min_images, or use split_by='hash'.")

    # The group of a person: the majority of its photos' annotations (ties: has the attribute).
    group_of, disagreements = {}, 0
    for person in train_people + test_people:
        marks = values[[row[f] for f in people[person]], sensitive_col] > 0
        group_of[person] = int(marks.mean() >= 0.5)
        disagreements += int((marks != bool(group_of[person])).sum())

    rng = np.random.default_rng(options["seed"])
    split_files: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for person in train_people:
        members = people[person]
        # At least two held-out photos (a genuine pair), and at least two left for training.
        n_val = min(len(members) - 2, max(2, int(round(options["val_fraction"] * len(members)))))
        held = set(rng.choice(len(members), n_val, replace=False).tolist())
        split_files["val"] += [f for k, f in enumerate(members) if k in held]
        split_files["train"] += [f for k, f in enumerate(members) if k not in held]
    for person in test_people:
        split_files["test"] += people[person]
    split_files = {name: sorted(members) for name, members in split_files.items()}

    image_dir = root / IMAGE_DIR
    present = {entry.name for entry in os.scandir(image_dir)}
    missing = [f for members in split_files.values() for f in members if f not in present]
    if missing:
        shown = ", ".join(missing[:10]) + (f", ... ({len(missing)} in all)" if len(missing) > 10 else "")
        raise FileNotFoundError(f"{len(missing)} image(s) listed in {root / IDENTITY_FILE} are missing from "
                                f"{image_dir}/: {shown}. Unzip img_align_celeba.zip again into {root}.")

    order = [f for name in ("train", "val", "test") for f in split_files[name]]
    images, ok = _decode_all([image_dir / f for f in order], options["image_size"], options["skip_corrupt"])
    splits, skipped, start = {}, [], 0
    for name in ("train", "val", "test"):
        members = split_files[name]
        stop = start + len(members)
        keep = np.flatnonzero(ok[start:stop])
        skipped += [members[k] for k in np.flatnonzero(~ok[start:stop])]
        kept = [members[k] for k in keep]
        person = np.array([identity_of[f] for f in kept], dtype=np.int64)
        rows = np.array([row[f] for f in kept], dtype=np.int64)
        splits[name] = Split(torch.from_numpy(np.ascontiguousarray(images[start:stop][keep])),
                             torch.from_numpy((values[rows, target_col] > 0).astype(np.int64)),
                             torch.from_numpy(np.array([group_of[p] for p in person], dtype=np.int64)),
                             torch.from_numpy(person))
        start = stop

    sensitive = options["sensitive"]
    info = {"root": str(root), "image_size": options["image_size"], "split_by": options["split_by"],
            "identities": {"train": len(train_people), "test": len(test_people)},
            "identities_per_group": {side_name: [sum(group_of[p] == g for p in ps) for g in (0, 1)]
                                     for side_name, ps in (("train", train_people), ("test", test_people))},
            "group_disagreements": disagreements, "unlisted_in_identity_file": len(unlisted),
            "skipped_corrupt": skipped,
            "identity_splits": {"train": "training identities", "val": "training identities (held-out photos)",
                                "test": "unseen identities"}}
    return FairDataset("celeba_identities", splits, target_name=options["target"], group_name=sensitive,
                       group_labels=(f"not {sensitive}", sensitive), info=info)
