"""Tiny CelebA folders in exactly the format of the real download, for tests of the reader.

``write_celeba_fixture(root)`` writes::

    root/
    ├── img_align_celeba/000001.jpg ...   real JPEGs, 178 x 218 by default
    ├── list_attr_celeba.txt              count line, the real 40-name header, "000001.jpg -1  1 ..." lines
    └── list_eval_partition.txt           "000001.jpg 0" lines; train, then val, then test

Each image is one solid colour (distinct per image, so a test can tell which file a decoded image
came from) with black bands over the rows that the center crop must remove, so a reader that
squashes, or crops off-center, gives visibly darker pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

# The header of the real list_attr_celeba.txt, in its order.
CELEBA_ATTRIBUTES = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair "
    "Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup "
    "High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose "
    "Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat "
    "Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young"
).split()
SPLIT_NAMES = ("train", "val", "test")


def attribute_line(name: str, values) -> str:
    """One line as in the real file: values right-aligned in two characters, one space apart."""
    return name + " " + " ".join(f"{int(v):2d}" for v in values)


def write_celeba_fixture(root: Path, n: int = 12, seed: int = 0, image_size=(178, 218)) -> dict:
    """Write ``n`` images and both annotation files under ``root``; return what was written.

    image_size is (width, height), as PIL counts it. The partition puts about 60% of the images
    in train, 20% in val and the rest in test, contiguously like the real file (each split gets
    at least one image when n >= 3).

    Returns a dict with: "root"; "names" (the 40 attribute names); "files" (file names in order);
    "attributes" (int array [n, 40] of -1/1, as written); "partition" (int array [n] of 0/1/2);
    "splits" ({"train": [file names], ...}); "colors" (uint8 [n, 3], each image's colour inside
    the crop); "band" (the colour of the cropped-away rows).
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    width, height = image_size
    files = [f"{i:06d}.jpg" for i in range(1, n + 1)]
    attributes = rng.choice(np.array([-1, 1]), size=(n, len(CELEBA_ATTRIBUTES)))
    n_train = max(1, round(0.6 * n)) if n >= 3 else n
    n_val = max(1, round(0.2 * n)) if n >= 3 else 0
    partition = np.array([0] * n_train + [1] * n_val + [2] * (n - n_train - n_val))
    colors = rng.integers(100, 231, size=(n, 3)).astype(np.uint8)
    band = np.zeros(3, dtype=np.uint8)

    image_dir = root / "img_align_celeba"
    image_dir.mkdir(parents=True, exist_ok=True)
    side = min(width, height)
    top, left = (height - side) // 2, (width - side) // 2
    for name, color in zip(files, colors):
        pixels = np.empty((height, width, 3), dtype=np.uint8)
        pixels[:] = band
        pixels[top:top + side, left:left + side] = color
        Image.fromarray(pixels).save(image_dir / name, format="JPEG", quality=95)

    lines = [str(n), " ".join(CELEBA_ATTRIBUTES) + " "]  # the real header line ends with a space
    lines += [attribute_line(name, values) for name, values in zip(files, attributes)]
    (root / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    (root / "list_eval_partition.txt").write_text("".join(f"{name} {p}\n" for name, p in zip(files, partition)))

    return {
        "root": root, "names": list(CELEBA_ATTRIBUTES), "files": files, "attributes": attributes,
        "partition": partition, "colors": colors, "band": band,
        "splits": {split: [f for f, p in zip(files, partition) if p == code] for code, split in enumerate(SPLIT_NAMES)},
    }


# --- identities (identity_CelebA.txt), for the face-verification reader ---

def identity_line(name: str, person: int) -> str:
    """One line of identity_CelebA.txt: the file name and the person's number, one space apart."""
    return f"{name} {int(person)}"


def write_celeba_identity_fixture(root: Path, n_identities: int = 10, images_per_identity: int = 5, seed: int = 0,
                                  image_size=(178, 218), sensitive: str = "Male", flip_one: bool = True) -> dict:
    """A CelebA folder (as ``write_celeba_fixture``) whose photos belong to ``n_identities`` people, plus
    ``identity_CelebA.txt``.

    As in the real data: a person's photos are scattered over the file order, person numbers are
    neither contiguous nor in order, every photo of a person has the same partition code (about
    half the people 0 = train, a fifth 1 = val, the rest 2 = test, at least one each for
    n_identities >= 3) and the same value of ``sensitive`` (alternating from person to person), so
    each partition holds both groups. With ``flip_one``, one photo of the first person carries the
    other value of ``sensitive`` (a single annotation error that the person's majority overrules).

    Returns the dict of write_celeba_fixture (its "attributes" and "partition" updated) plus:
    "person" (int [n], each file's person number), "people" (person numbers, index = person k),
    "person_partition" (int per person k), "person_group" (0/1 per person k), "flipped" (file name or None).
    """
    root = Path(root)
    n = n_identities * images_per_identity
    fx = write_celeba_fixture(root, n=n, seed=seed, image_size=image_size)
    rng = np.random.default_rng(seed + 1000)
    people = rng.choice(np.arange(1, 10178), size=n_identities, replace=False)   # CelebA numbers 1..10177
    person_index = rng.permutation(np.repeat(np.arange(n_identities), images_per_identity))
    n_train = max(1, round(0.5 * n_identities)) if n_identities >= 3 else n_identities
    n_val = max(1, round(0.2 * n_identities)) if n_identities >= 3 else 0
    person_partition = np.array([0] * n_train + [1] * n_val + [2] * (n_identities - n_train - n_val))
    person_group = np.arange(n_identities) % 2

    column = CELEBA_ATTRIBUTES.index(sensitive)
    attributes = fx["attributes"].copy()
    attributes[:, column] = np.where(person_group[person_index] == 1, 1, -1)
    flipped = None
    if flip_one:
        first = int(np.flatnonzero(person_index == 0)[0])
        attributes[first, column] *= -1
        flipped = fx["files"][first]
    partition = person_partition[person_index]

    lines = [str(n), " ".join(CELEBA_ATTRIBUTES) + " "]
    lines += [attribute_line(name, values) for name, values in zip(fx["files"], attributes)]
    (root / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    (root / "list_eval_partition.txt").write_text("".join(f"{name} {p}\n" for name, p in zip(fx["files"], partition)))
    (root / "identity_CelebA.txt").write_text(
        "".join(identity_line(name, people[k]) + "\n" for name, k in zip(fx["files"], person_index)))

    fx.update({
        "attributes": attributes, "partition": partition, "person": people[person_index], "people": people,
        "person_index": person_index, "person_partition": person_partition, "person_group": person_group,
        "flipped": flipped,
        "splits": {split: [f for f, p in zip(fx["files"], partition) if p == code] for code, split in enumerate(SPLIT_NAMES)},
    })
    return fx
