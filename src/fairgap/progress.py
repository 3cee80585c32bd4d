"""Progress of a notebook's runs that a person watching ``./run_all.sh`` can read.

One mechanism, two ends. The scheduler of every cached run (``fairgap.sweep.train_pending``: sweeps,
verification runs, classical fits) counts its runs through ``track``: a tqdm bar where asked for (what
JupyterLab shows), and, when the environment variable ``FAIRGAP_PROGRESS`` names a file, a small JSON
report in it (runs done and total, how many came from the cache, an estimate of the time left), written
atomically and at most every ``WRITE_EVERY`` seconds. ``run_notebooks`` sets the variable per notebook
(``watch``) and, while papermill executes the notebook, a thread polls the file (``Poller``) and prints

    02_constraint_strength: 34/90 runs (12 from the cache), 6 min 10 s so far, about 9 min left

at most every ``INTERVAL`` seconds and only when the count changed. Counts add up over every batch of
runs a notebook schedules (a later sweep adds its runs to the total when it starts). The smoke profile
sets no variable and starts no poller: it stays quiet.

The time left is the runs still to train times the mean seconds of a run (this batch's runs timed so far,
else the ``timing.json`` of its runs found in the cache, which ``io.write_timing`` leaves beside every
entry), divided by the runs that train at once; with neither, the rate so far (seconds elapsed per run
trained); before any run finished and with no timing, it is not known yet.

Only the standard library is imported at the top: ``run_notebooks`` imports this under the system Python.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

VARIABLE = "FAIRGAP_PROGRESS"
INTERVAL = 30.0      # seconds between two lines printed for a notebook, at least
WRITE_EVERY = 1.0    # seconds between two writes of the report, at least (but the first and the last)
POLL_EVERY = 2.0     # seconds between two reads of the report by the poller
KNOWN_TIMINGS = 200  # timing.json files read, at most, from a batch's cached runs


def estimate_left(remaining: int, workers: int, run_seconds: Iterable[float] = (), known_seconds: Iterable[float] = (),
                  elapsed: float = 0.0, trained: int = 0) -> float | None:
    """Seconds until ``remaining`` runs are trained on ``workers`` at once: from the mean seconds of a run
    (``run_seconds``: runs of this batch timed so far, else ``known_seconds``: earlier runs' timings), else from
    the rate so far (``elapsed`` seconds for ``trained`` runs); None when neither is known."""
    if remaining <= 0:
        return 0.0
    timings = [float(s) for s in run_seconds] or [float(s) for s in known_seconds]
    if timings:
        return remaining * (sum(timings) / len(timings)) / max(1, min(workers, remaining))
    if trained > 0 and elapsed > 0:
        return elapsed / trained * remaining
    return None


def known_seconds(folders: Iterable[Path], limit: int = KNOWN_TIMINGS) -> list[float]:
    """The seconds of the cached entries in ``folders`` that have a readable ``timing.json`` (at most ``limit``)."""
    from .io import TIMING_FILE

    seconds = []
    for folder in folders:
        if len(seconds) >= limit:
            break
        timing = read_report(Path(folder) / TIMING_FILE)
        if timing and isinstance(timing.get("seconds"), (int, float)):
            seconds.append(float(timing["seconds"]))
    return seconds


def read_report(path: Path) -> dict | None:
    """The JSON object in ``path``; None when it is missing or unreadable."""
    try:
        body = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return body if isinstance(body, dict) else None


class Reporter:
    """Writes one batch's progress, added to what earlier batches of the same notebook left in ``path``."""

    def __init__(self, path: Path, total: int, cached: int, workers: int, known: Iterable[float] = (),
                 desc: str = "runs", clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time):
        self.path, self.clock, self.wall = Path(path), clock, wall
        earlier = read_report(self.path) or {}
        self.base = {k: int(earlier.get(k, 0)) for k in ("total", "done", "cached")}
        self.total, self.done, self.cached, self.workers, self.desc = total, cached, cached, max(1, workers), desc
        self.known = list(known)
        self.run_seconds: list[float] = []
        self.started = clock()
        self.last_write: float | None = None
        self.write(force=True)

    def left(self) -> float | None:
        return estimate_left(self.total - self.done, self.workers, self.run_seconds, self.known,
                             self.clock() - self.started, self.done - self.cached)

    def update(self, n: int = 1, seconds: float | None = None) -> None:
        self.done += n
        if seconds is not None:
            self.run_seconds.append(seconds)
        self.write()

    def write(self, force: bool = False) -> None:
        now = self.clock()
        if not force and self.last_write is not None and now - self.last_write < WRITE_EVERY:
            return
        from .io import write_json

        left = self.left()
        write_json(self.path, {"total": self.base["total"] + self.total, "done": self.base["done"] + self.done,
                               "cached": self.base["cached"] + self.cached, "desc": self.desc,
                               "left": None if left is None else round(left, 1), "written": self.wall()})
        self.last_write = now


class Tracker:
    """What the scheduler counts its runs with: the tqdm bar (or none) and the report (or none)."""

    def __init__(self, bar=None, reporter: Reporter | None = None, clock: Callable[[], float] = time.monotonic):
        self.bar, self.reporter, self.clock = bar, reporter, clock
        self.mark = clock()

    def update(self, n: int = 1, seconds: float | None = None) -> None:
        self.bar and self.bar.update(n)
        self.reporter and self.reporter.update(n, seconds)

    def timed(self, function, *arguments):
        """``function(*arguments)``, counted as one run with its seconds (the sequential executor)."""
        started = self.clock()
        result = function(*arguments)
        self.update(seconds=self.clock() - started)
        return result

    def close(self) -> None:
        self.bar and self.bar.close()
        self.reporter and self.reporter.write(force=True)

    def __bool__(self) -> bool:  # ``bar and bar.update()`` in the executors
        return True


def track(total: int, cached: int, workers: int, bar: bool, desc: str = "runs",
          cached_folders: Callable[[], Iterable[Path]] = lambda: ()) -> Tracker:
    """A ``Tracker`` of a batch of ``total`` runs, ``cached`` of them already in the cache: a tqdm bar when
    ``bar``, and a ``Reporter`` when ``FAIRGAP_PROGRESS`` names a file (``cached_folders`` is then called for
    the cached runs' folders, whose timings estimate the time left)."""
    shown = None
    if bar:
        from tqdm.auto import tqdm
        shown = tqdm(total=total, initial=cached, desc=desc)
    path = os.environ.get(VARIABLE)
    reporter = Reporter(Path(path), total, cached, workers, known_seconds(cached_folders()), desc) if path else None
    return Tracker(shown, reporter)


def duration(seconds: float) -> str:
    """'45 s', '6 min 10 s', '2 h 5 min'."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def rough(seconds: float) -> str:
    """An estimate, no more precise than it is: 'less than a minute', 'about 9 min', 'about 1 h 20 min'."""
    if seconds < 60:
        return "less than a minute"
    minutes = int(round(seconds / 60))
    return f"about {minutes} min" if minutes < 60 else f"about {minutes // 60} h {minutes % 60} min"


def format_line(name: str, report: dict, elapsed: float, left: float | None) -> str:
    line = f"  {name}: {report['done']}/{report['total']} runs"
    if report.get("cached"):
        line += f" ({report['cached']} from the cache)"
    line += f", {duration(elapsed)} so far"
    if report["done"] < report["total"]:
        line += ", time left not known yet" if left is None else f", {rough(left)} left"
    return line


class Poller:
    """Reads a notebook's report and gives a line at most every ``interval`` seconds, when the count changed."""

    def __init__(self, path: Path, name: str, interval: float = INTERVAL, clock: Callable[[], float] = time.time):
        self.path, self.name, self.interval, self.clock = Path(path), name, interval, clock
        self.started = self.last_line = clock()
        self.last_count: tuple | None = None

    def poll(self) -> str | None:
        report = read_report(self.path)
        if not report or not isinstance(report.get("done"), int) or not isinstance(report.get("total"), int):
            return None
        now = self.clock()
        count = (report["done"], report["total"], report.get("cached", 0))
        if count == self.last_count or now - self.last_line < self.interval:
            return None
        left = report.get("left")
        if isinstance(left, (int, float)) and isinstance(report.get("written"), (int, float)):
            left = max(0.0, left - max(0.0, now - report["written"]))  # it was estimated when written
        else:
            left = None
        self.last_line, self.last_count = now, count
        return format_line(self.name, report, now - self.started, left)

    def run(self, stop: threading.Event, every: float = POLL_EVERY, stream=None) -> None:
        while not stop.wait(every):
            line = self.poll()
            if line:
                print(line, file=stream or sys.stdout, flush=True)


@contextmanager
def watch(path: Path, name: str, enabled: bool = True) -> Iterator[None]:
    """While the block runs (papermill executing notebook ``name``): ``FAIRGAP_PROGRESS`` names ``path`` (the
    kernel inherits it) and a thread prints the poller's lines. Not ``enabled`` (the smoke profile): the
    variable is unset, nothing is printed. The report is removed afterwards."""
    if not enabled:
        os.environ.pop(VARIABLE, None)
        yield
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a report of an earlier run of the notebook
    os.environ[VARIABLE] = str(path)
    stop = threading.Event()
    thread = threading.Thread(target=Poller(path, name).run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        os.environ.pop(VARIABLE, None)
        path.unlink(missing_ok=True)
