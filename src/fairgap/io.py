"""Atomic, pickle-free files: every cache in the package is written through these helpers.

A write goes to a temporary file in the same folder and is then renamed over the target,
so a reader sees either the old file or the new one, never half of one, even when two
processes write the same entry or a run is killed mid-write.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import numpy as np
import pandas as pd


class CorruptCacheEntry(Exception):
    """A cache file exists but cannot be read back whole; callers recompute it."""


@contextmanager
def atomic_path(target: Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it onto ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix + ".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: Path, obj: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1, sort_keys=True, default=str))


def read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CorruptCacheEntry(f"{path}: not valid JSON ({err})") from err


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    with atomic_path(path, suffix=".csv") as tmp:
        frame.to_csv(tmp, index=False)


def read_csv(path: Path, required_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise CorruptCacheEntry(f"{path}: not a readable CSV ({err})") from err
    missing = [c for c in required_columns if c not in frame.columns]
    if missing:
        raise CorruptCacheEntry(f"{path}: missing columns {missing}")
    return frame


def write_arrays(path: Path, **arrays: np.ndarray) -> None:
    """Numeric arrays as an uncompressed .npz (no pickled objects)."""
    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        raise CorruptCacheEntry(f"{path}: not a readable array archive ({err})") from err


def stable_hash(payload: dict, length: int = 20) -> str:
    """A cache entry's name: the sha256 of ``payload`` as sorted JSON (non-JSON values by ``str``), cut to
    ``length`` hex digits. Runs, verification runs, classical fits and datasets are all named by it."""
    import hashlib

    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


# --- a cached entry (a run, a classical fit): config.json, one CSV per table, [one .npz of
# {split: {name: array}}], info.json last ---

def write_run_entry(folder: Path, config: dict, key: str, info: dict, tables: dict[str, pd.DataFrame],
                    arrays_file: str | None = None, arrays: dict[str, dict[str, np.ndarray]] | None = None) -> None:
    folder = Path(folder)
    write_json(folder / "config.json", config)
    for name, frame in tables.items():
        write_csv(folder / f"{name}.csv", frame)
    if arrays_file is not None:
        write_arrays(folder / arrays_file, **{f"{split}__{part}": array for split, parts in (arrays or {}).items()
                                               for part, array in parts.items()})
    # info.json is written last: its presence marks a complete entry.
    write_json(folder / "info.json", {**info, "key": key})


TIMING_FILE = "timing.json"


@contextmanager
def timing_beside(folder: Path) -> Iterator[None]:
    """Time the block that computes and saves a cache entry in ``folder``; when it succeeds, ``write_timing``."""
    started = time.perf_counter()
    yield
    write_timing(folder, time.perf_counter() - started)


Entry = TypeVar("Entry")


def load_or_compute(folder: Path, load: Callable[[], Entry | None], compute: Callable[[], Entry],
                    save: Callable[[Entry], None]) -> Entry:
    """The cache entry in ``folder``: what ``load`` reads when it is intact, else ``compute``'s result, saved by
    ``save`` with its timing beside it (``timing_beside``). One rule for every cached computation: a training
    run (``fairgap.train.run``), a verification run and a classical fit."""
    cached = load()
    if cached is not None:
        return cached
    with timing_beside(folder):
        result = compute()
        save(result)
    return result


def write_timing(folder: Path, seconds: float) -> None:
    """Beside a cache entry just computed: its wall time, the 1-minute load average as it finished, and the
    notebook that asked for it (``paths.NOTEBOOK_VARIABLE``; None outside ``run_notebooks``). Kept out of
    the entry itself: a result is a function of its config, its time is not (bench/bench.py --only cost)."""
    from .paths import NOTEBOOK_VARIABLE

    write_json(Path(folder) / TIMING_FILE, {"seconds": round(seconds, 3), "load_average": round(os.getloadavg()[0], 2),
                                            "notebook": os.environ.get(NOTEBOOK_VARIABLE)})


def read_run_entry(folder: Path, key: str, tables: dict[str, tuple[str, ...]], arrays_file: str | None = None):
    """(info, {table: frame}, {split: {name: array}}) of an intact entry for ``key`` (no arrays without an
    ``arrays_file``); None if the entry is absent, partial, corrupt or belongs to another key (the caller
    then recomputes it)."""
    folder = Path(folder)
    if not (folder / "info.json").is_file():
        return None
    try:
        info = read_json(folder / "info.json")
        frames = {name: read_csv(folder / f"{name}.csv", columns) for name, columns in tables.items()}
        flat = read_arrays(folder / arrays_file) if arrays_file is not None else {}
    except (CorruptCacheEntry, FileNotFoundError):
        return None
    if not isinstance(info, dict) or info.get("key") != key or any(frame.empty for frame in frames.values()):
        return None
    for frame in frames.values():
        if "group" in frame:
            frame["group"] = frame["group"].astype(str)
    arrays: dict[str, dict[str, np.ndarray]] = {}
    for name, array in flat.items():
        split, _, part = name.partition("__")
        arrays.setdefault(split, {})[part] = array
    return info, frames, arrays
