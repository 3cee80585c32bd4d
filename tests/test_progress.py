"""Progress that a person watching run_all.sh can read (fairgap.progress): the estimate of the time left,
the report train_pending writes, the poller's lines (a fake clock, no sleeping), and a quiet smoke profile."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from fairgap import progress
from fairgap.io import write_json, write_timing
from fairgap.sweep import train_pending


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_time_left_from_known_timings_divides_by_the_runs_at_once():
    # 10 runs left, 30 s each, 2 at once: 150 s; the runs timed in this batch come before earlier timings.
    assert progress.estimate_left(10, 2, known_seconds=[20, 40]) == pytest.approx(150)
    assert progress.estimate_left(10, 1, run_seconds=[5, 7], known_seconds=[100]) == pytest.approx(60)
    # Fewer runs left than workers: they train side by side, one run's time.
    assert progress.estimate_left(1, 4, known_seconds=[30]) == pytest.approx(30)


def test_time_left_from_the_rate_so_far_and_unknown_without_either():
    # No timings: 4 runs trained in 100 s, 6 left -> 150 s.
    assert progress.estimate_left(6, 2, elapsed=100.0, trained=4) == pytest.approx(150)
    assert progress.estimate_left(6, 2, elapsed=100.0, trained=0) is None
    assert progress.estimate_left(0, 2) == 0.0


def test_known_seconds_read_the_timing_beside_cached_entries(tmp_path):
    for name, seconds in (("a", 12.0), ("b", 18.0)):
        write_timing(tmp_path / name, seconds)
    (tmp_path / "c").mkdir()  # an entry without timing.json is skipped
    assert progress.known_seconds([tmp_path / n for n in "abc"]) == [12.0, 18.0]


def test_duration_and_rough_are_readable():
    assert progress.duration(45) == "45 s"
    assert progress.duration(370) == "6 min 10 s"
    assert progress.duration(7500) == "2 h 5 min"
    assert progress.rough(20) == "less than a minute"
    assert progress.rough(540) == "about 9 min"


def test_reporter_adds_to_the_earlier_batches_of_the_notebook(tmp_path):
    path, clock = tmp_path / "progress.json", FakeClock()
    first = progress.Reporter(path, total=4, cached=1, workers=1, clock=clock)
    for _ in range(3):
        clock.now += 2
        first.update(seconds=2.0)
    first.write(force=True)
    assert {k: json.loads(path.read_text())[k] for k in ("done", "total", "cached")} == {"done": 4, "total": 4, "cached": 1}
    second = progress.Reporter(path, total=10, cached=0, workers=2, known=[60.0], clock=clock)
    report = json.loads(path.read_text())
    assert (report["done"], report["total"], report["cached"]) == (4, 14, 1)
    assert report["left"] == pytest.approx(300)  # 10 runs of 60 s, 2 at once
    clock.now += 0.1
    second.update(seconds=20.0)  # within WRITE_EVERY of the last write: not written yet
    assert json.loads(path.read_text())["done"] == 4
    clock.now += progress.WRITE_EVERY
    second.update(seconds=20.0)
    assert json.loads(path.read_text())["done"] == 6


def test_poller_prints_at_most_one_line_per_interval_and_a_growing_count(tmp_path):
    path, clock = tmp_path / "progress.json", FakeClock()
    poller = progress.Poller(path, "02_constraint_strength", interval=30, clock=clock)
    assert poller.poll() is None  # no report yet

    def report(done, left):
        write_json(path, {"done": done, "total": 90, "cached": 12, "left": left, "written": clock.now})

    lines = []
    for second in range(1, 400):  # a run finishes every 5 s; the poller looks every second
        clock.now += 1
        if second % 5 == 0:
            report(12 + second // 5, left=(90 - 12 - second // 5) * 5)
        line = poller.poll()
        if line:
            lines.append((clock.now, line))
    assert 10 <= len(lines) <= 13  # 399 s at most one per 30 s, not one per run
    times = [t for t, _ in lines]
    assert all(b - a >= 30 for a, b in zip(times, times[1:]))
    counts = [int(line.split(": ")[1].split("/")[0]) for _, line in lines]
    assert counts == sorted(counts) and len(set(counts)) == len(counts)
    assert lines[0][1] == "  02_constraint_strength: 18/90 runs (12 from the cache), 30 s so far, about 6 min left"


def test_poller_is_silent_when_nothing_changed(tmp_path):
    path, clock = tmp_path / "progress.json", FakeClock()
    poller = progress.Poller(path, "nb", interval=30, clock=clock)
    write_json(path, {"done": 3, "total": 9, "cached": 0, "left": None, "written": clock.now})
    clock.now += 31
    assert poller.poll() == "  nb: 3/9 runs, 31 s so far, time left not known yet"
    clock.now += 300
    assert poller.poll() is None  # the same count: no line


def test_the_estimate_counts_down_between_writes(tmp_path):
    path, clock = tmp_path / "progress.json", FakeClock()
    poller = progress.Poller(path, "nb", interval=30, clock=clock)
    write_json(path, {"done": 1, "total": 9, "cached": 0, "left": 600.0, "written": clock.now})
    clock.now += 240
    assert poller.poll().endswith("about 6 min left")


@dataclass(frozen=True)
class FakeConfig:
    name: str
    threads: int = 1

    def key(self) -> str:
        return self.name


def fake_jobs(tmp_path: Path, names: str, cached: str):
    """train_pending's arguments for runs named by ``names``; those in ``cached`` are in the cache with a timing."""
    done = set(cached)
    for name in cached:
        write_timing(tmp_path / name, 42.0)

    def train_one(config):
        done.add(config.name)

    return dict(jobs=[({"run": n}, FakeConfig(n)) for n in names],
                load=lambda config: True if config.name in done else None, train_one=train_one,
                worker=None, folder=lambda config: tmp_path / config.name, executor="sequential")


def test_train_pending_reports_to_the_file_the_variable_names(tmp_path, monkeypatch):
    path = tmp_path / "progress-nb.json"
    monkeypatch.setenv(progress.VARIABLE, str(path))
    train_pending(**fake_jobs(tmp_path, "abcd", cached="a"), progress=False)
    report = json.loads(path.read_text())
    assert (report["done"], report["total"], report["cached"]) == (4, 4, 1)
    # A second batch of the same notebook, all cached: added to the first.
    train_pending(**fake_jobs(tmp_path, "ef", cached="ef"), progress=False)
    report = json.loads(path.read_text())
    assert (report["done"], report["total"], report["cached"]) == (6, 6, 3)


def test_no_variable_no_report_and_no_bar_without_progress(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(progress.VARIABLE, raising=False)
    train_pending(**fake_jobs(tmp_path, "abc", cached=""), progress=False)
    assert not list(tmp_path.glob("*.json"))
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_smoke_is_quiet_and_other_profiles_watch(tmp_path, monkeypatch, capsys):
    path = tmp_path / "progress-03.json"
    monkeypatch.setenv(progress.VARIABLE, str(path))  # inherited from somewhere: smoke unsets it
    with progress.watch(path, "03_model_capacity", enabled=False):
        assert progress.VARIABLE not in os.environ
        train_pending(**fake_jobs(tmp_path, "abc", cached=""), progress=False)
    assert not path.exists()
    assert capsys.readouterr().out == ""
    with progress.watch(path, "03_model_capacity"):
        assert os.environ[progress.VARIABLE] == str(path)
        train_pending(**fake_jobs(tmp_path, "de", cached=""), progress=False)
        assert json.loads(path.read_text())["done"] == 2
    assert progress.VARIABLE not in os.environ and not path.exists()  # removed after the notebook


def test_run_notebooks_watches_every_profile_but_smoke():
    import inspect

    from fairgap import run_notebooks

    source = inspect.getsource(run_notebooks.run_notebook)
    assert 'watch(report, job.name, enabled=profile != "smoke")' in source


def test_classical_fits_show_a_bar_unless_smoke():
    from fairgap.classical_fits import parse_models

    models = {"LR": {"model": "logistic_regression"}}
    assert parse_models(models, "default").profile == "default"
    assert parse_models(models, "smoke").profile == "smoke"


def test_classical_run_tasks_bar_follows_the_profile(monkeypatch):
    from fairgap import classical_fits, sweep

    seen = []
    monkeypatch.setattr(sweep, "train_pending", lambda *a, **k: seen.append(k["progress"]))
    monkeypatch.setattr(classical_fits, "load_fit", lambda config: None)
    models = {"LR": {"model": "logistic_regression"}}
    task = ("t", lambda seed: None, {"source": "t"})
    for profile in ("default", "paper", "smoke"):
        with pytest.raises(RuntimeError):  # nothing fitted: the fake scheduler did nothing
            classical_fits.run_tasks([task], classical_fits.parse_models(models, profile), [0])
    with pytest.raises(RuntimeError):  # a plain dict of specs: no bar, as before
        classical_fits.run_tasks([task], dict(classical_fits.parse_models(models, "default")), [0])
    assert seen == [True, True, False, False]
