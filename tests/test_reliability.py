"""Reliability guarantees that cut across modules: atomic cache writes, no unsafe deserialisation."""

import multiprocessing
import re
import time
from pathlib import Path

import numpy as np
import pytest

from fairgap.io import CorruptCacheEntry, read_arrays, read_json, write_arrays, write_json

SOURCE = Path(__file__).resolve().parents[1] / "src" / "fairgap"


def _hammer(path: str, value: int, stop) -> None:
    """Rewrite the entry at least 40 times, then until the reader has checked enough reads (``stop``); at
    most 2,000 times, so that a reader that never reads ends the test (and fails it) instead of hanging it."""
    for i in range(2000):
        if i >= 40 and stop.is_set():
            break
        write_json(Path(path), {"writer": value, "i": i, "payload": [value] * 2000})
        write_arrays(Path(path).with_suffix(".npz"), data=np.full(5000, value))


def test_two_processes_writing_the_same_entry_never_leave_a_torn_file(tmp_path):
    target = tmp_path / "entry.json"
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    writers = [context.Process(target=_hammer, args=(str(target), v, stop)) for v in (1, 2)]
    for w in writers:
        w.start()
    checked, deadline = 0, time.monotonic() + 60
    while any(w.is_alive() for w in writers):
        if target.exists():
            entry = read_json(target)  # must always parse whole
            assert entry["payload"] == [entry["writer"]] * 2000
            checked += 1
        if checked >= 50 or time.monotonic() > deadline:
            stop.set()
    assert checked > 0, "no read happened while the writers were writing: the torn-read check checked nothing"
    for w in writers:
        w.join()
        assert w.exitcode == 0
    arrays = read_arrays(target.with_suffix(".npz"))
    assert len(set(arrays["data"].tolist())) == 1
    assert not list(tmp_path.glob(".*.tmp")), "temporary files left behind"


def test_truncated_files_are_reported_as_corrupt(tmp_path):
    write_json(tmp_path / "a.json", {"x": 1})
    (tmp_path / "a.json").write_text('{"x": ')
    with pytest.raises(CorruptCacheEntry, match="a.json"):
        read_json(tmp_path / "a.json")
    write_arrays(tmp_path / "b.npz", x=np.arange(1000))
    data = (tmp_path / "b.npz").read_bytes()
    (tmp_path / "b.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptCacheEntry, match="b.npz"):
        read_arrays(tmp_path / "b.npz")


def test_no_pickle_eval_or_unsafe_torch_load_in_the_package():
    offenders = []
    for path in SOURCE.rglob("*.py"):
        text = path.read_text()
        for pattern in (r"\bimport pickle\b", r"\bpickle\.load", r"(?<![\w.])eval\(", r"\bexec\(",
                        r"allow_pickle\s*=\s*True"):
            if re.search(pattern, text):
                offenders.append(f"{path.name}: {pattern}")
        for call in re.findall(r"torch\.load\([^)]*\)", text):
            if "weights_only=True" not in call:
                offenders.append(f"{path.name}: {call}")
    assert offenders == []
