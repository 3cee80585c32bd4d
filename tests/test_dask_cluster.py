"""Sweeps on an existing multi-process Dask cluster (issue 23): a `dask scheduler` and two `dask worker`
processes started here, on localhost, each worker with its own FAIRGAP_RESULTS and FAIRGAP_DATA, none
shared with this process (the client). Runs come back through Dask and land in the client's cache.

The cluster is shared by the tests of this module; the worker-kill test comes last (it leaves one worker).
Every process is started and stopped here, by its PID.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("distributed")

from fairgap import sweep  # noqa: E402
from fairgap import train as train_module  # noqa: E402
from fairgap.profiles import base_config, sweep_base  # noqa: E402
from fairgap.sweep import SCHEDULER_VARIABLE, plan, product, run_sweep  # noqa: E402
from fairgap.train import load_cached, run_folder  # noqa: E402

DASK = str(Path(sys.executable).parent / "dask")
START_TIMEOUT = 60    # seconds for the scheduler and both workers to come up
SMOKE = sweep_base("smoke")   # the smoke profile's sweep config: tiny generated faces, 2 epochs
SPECS = product(method=["equalized_odds_max_penalty"], weight=[0.3, 3.0]) + [{"method": "erm"}]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """Stop one process we started, by its PID: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class Cluster:
    def __init__(self, root: Path):
        self.root, self.address = root, f"tcp://127.0.0.1:{free_port()}"
        self.processes: list[subprocess.Popen] = []
        self.workers: dict[str, dict] = {}   # name -> {"process", "results", "data", "address"}

    def start(self, name: str, arguments: list[str], env: dict) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "wb")
        process = subprocess.Popen([DASK, *arguments], env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        log.close()
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(self.root.glob("*.log")))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from dask.distributed import Client

    cluster = Cluster(tmp_path_factory.mktemp("dask-cluster"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("FAIRGAP_", "DASK_"))}
    base_env["OMP_NUM_THREADS"] = "1"
    try:
        port = cluster.address.rsplit(":", 1)[1]
        cluster.start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"], base_env)
        for name in ("w0", "w1"):
            folder = cluster.root / name
            env = {**base_env, "FAIRGAP_RESULTS": str(folder / "results"), "FAIRGAP_DATA": str(folder / "data")}
            process = cluster.start(name, ["worker", cluster.address, "--name", name, "--nthreads", "1",
                                           "--no-nanny", "--host", "127.0.0.1", "--no-dashboard",
                                           "--death-timeout", "30", "--local-directory", str(folder / "dask")],
                                    env)
            cluster.workers[name] = {"process": process, "results": folder / "results", "data": folder / "data"}
        deadline = time.time() + START_TIMEOUT
        while True:
            try:
                with Client(cluster.address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=max(1, deadline - time.time()))
                    for address, info in client.scheduler_info(n_workers=-1)["workers"].items():
                        cluster.workers[info["name"]]["address"] = address
                break
            except (OSError, TimeoutError) as err:
                if time.time() > deadline or any(p.poll() is not None for p in cluster.processes):
                    pytest.fail(f"The Dask cluster did not start within {START_TIMEOUT} s ({err}).\n{cluster.logs()}")
        yield cluster
    finally:
        for process in reversed(cluster.processes):
            stop(process)


@pytest.fixture
def client_storage(tmp_path, monkeypatch):
    """The client's own results and data folders (no worker sees them), and the scheduler unset."""
    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path / "client-results"))
    monkeypatch.setenv("FAIRGAP_DATA", str(tmp_path / "client-data"))
    monkeypatch.delenv(SCHEDULER_VARIABLE, raising=False)
    return tmp_path


def sorted_table(table: pd.DataFrame) -> pd.DataFrame:
    order = ["run", "epoch", "split", "group", "metric"]
    return table.sort_values(order).reset_index(drop=True)


def sequential_table(runs, folder: Path, monkeypatch) -> pd.DataFrame:
    """The same runs trained one after another in this process, in a cache of their own."""
    with monkeypatch.context() as patch:
        patch.setenv("FAIRGAP_RESULTS", str(folder / "sequential-results"))
        patch.setenv("FAIRGAP_DATA", str(folder / "sequential-data"))
        return run_sweep(runs, executor="sequential", progress=False)


def worker_keys(cluster) -> set[str]:
    return {p.name for w in cluster.workers.values() for p in (w["results"] / "runs").glob("*") if p.is_dir()}


def files_state(folders) -> dict:
    """Every file under ``folders`` with its size and modification time: retraining would change it."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for f in folders for p in Path(f).rglob("*")
            if p.is_file()}


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_sweep_on_the_cluster_lands_in_the_client_cache_and_equals_a_sequential_run(cluster, client_storage,
                                                                                     monkeypatch):
    from dask.distributed import Client

    runs = plan(SMOKE, SPECS, seeds=[0, 1])   # 6 runs
    monkeypatch.setenv(SCHEDULER_VARIABLE, cluster.address)   # executor "auto": the configured scheduler
    table = run_sweep(runs, progress=False)

    # Trained on the workers, from their own data; every run is in the client's own cache.
    keys = {r.config.key() for r in runs}
    assert keys <= worker_keys(cluster)
    for worker in cluster.workers.values():   # a worker that trained generated its data in its own folder
        assert worker["data"].is_dir() or not list((worker["results"] / "runs").glob("*"))
    assert not (client_storage / "client-data").exists(), "the client generated data: it trained something"
    assert all(load_cached(r.config) is not None for r in runs)
    assert {p.name for p in (client_storage / "client-results" / "runs").iterdir()} == keys

    sequential = sequential_table(runs, client_storage, monkeypatch)
    pd.testing.assert_frame_equal(sorted_table(table), sorted_table(sequential))

    # A second call trains nothing: nothing is submitted, and no worker's cache changes.
    before = files_state(w["results"] for w in cluster.workers.values())
    with monkeypatch.context() as patch:
        patch.setattr(sweep, "_run_dask", lambda *a, **k: pytest.fail("a cached run was sent to the cluster"))
        patch.setattr(train_module, "train", lambda *a, **k: pytest.fail("a cached run was retrained"))
        again = run_sweep(runs, progress=False)
    pd.testing.assert_frame_equal(again, table)
    assert files_state(w["results"] for w in cluster.workers.values()) == before

    # A worker that has a run cached returns it without training (its files are untouched), and the
    # client's cache is rebuilt from what it returned: resume does not depend on the client's disk.
    name, worker = next((n, w) for n, w in cluster.workers.items() if any((w["results"] / "runs").iterdir()))
    key = next((worker["results"] / "runs").iterdir()).name
    config = next(r.config for r in runs if r.config.key() == key)
    shutil.rmtree(run_folder(config))
    before = files_state([worker["results"]])
    with Client(cluster.address) as client:
        files = client.submit(sweep._train_on_worker, sweep._run_one, run_folder, config, pure=False,
                              workers=[worker["address"]]).result(timeout=60)
    assert files_state([worker["results"]]) == before, f"worker {name} retrained a run it had cached"
    assert files == {f.name: f.read_bytes() for f in (worker["results"] / "runs" / key).iterdir()}
    assert load_cached(config) is None
    train_module.import_entry(run_folder(config), files)
    with monkeypatch.context() as patch:
        patch.setattr(train_module, "train", lambda *a, **k: pytest.fail("an imported run was retrained"))
        resumed = run_sweep(runs, executor="sequential", progress=False)
    pd.testing.assert_frame_equal(resumed, table)


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_a_worker_missing_real_data_fails_the_run_with_the_local_error_naming_the_worker(cluster, client_storage):
    celeba = plan(base_config("smoke", dataset="celeba"), [{"method": "erm"}], seeds=[0])
    with pytest.raises(FileNotFoundError) as local:
        run_sweep(celeba, executor="sequential", progress=False)
    with pytest.raises(RuntimeError, match=r"on Dask worker tcp://127\.0\.0\.1:\d+") as remote:
        run_sweep(celeba, executor=cluster.address, progress=False)
    message = str(remote.value)
    worker = next(w for w in cluster.workers.values() if w["address"] in message)
    expected = str(local.value).replace(str(client_storage / "client-data"), str(worker["data"]))
    assert "FileNotFoundError" in message and expected in message


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_verification_runs_come_back_through_the_same_protocol(cluster, client_storage, monkeypatch):
    from fairgap.studies import f5_verification as fv

    grid = fv.experiment_grid(fv.base_config("smoke"), {}, seeds=[0])
    monkeypatch.setenv(SCHEDULER_VARIABLE, cluster.address)
    remote = fv.run_grid(grid, progress=False)
    assert not (client_storage / "client-data").exists(), "the client generated data: it trained something"
    assert {p.name for p in (client_storage / "client-results" / "verification").iterdir()} == \
        {config.key() for config in grid.values()}
    with monkeypatch.context() as patch:
        patch.setenv("FAIRGAP_RESULTS", str(client_storage / "sequential-results"))
        patch.setenv("FAIRGAP_DATA", str(client_storage / "sequential-data"))
        local = fv.run_grid(grid, progress=False, executor="sequential")
    for key in grid:
        pd.testing.assert_frame_equal(remote[key].history, local[key].history)
        pd.testing.assert_frame_equal(remote[key].roc, local[key].roc)


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_classical_fits_come_back_through_the_same_protocol(cluster, client_storage, monkeypatch):
    """Notebooks 00 and 08's fits (ClassicalFit: the table travels with the fit) go to the scheduler, each
    comes back as its cache entry into the client's results, and equals the sequential table."""
    import numpy as np

    from fairgap import classical_fits, tabular

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=400), "group": rng.choice(["a", "b"], 400)})
    frame["label"] = (frame.x + (frame.group == "b") + rng.normal(0, 0.5, 400) > 0.5).astype(int)
    tasks = [classical_fits.table_task(tabular.from_dataframe(frame, target="label", sensitive="group"), 200, None)]
    models = classical_fits.parse_models({"LR": {"model": "logistic_regression"},
                                          "tree": {"model": "decision_tree", "max_depth": 3}}, "smoke")
    monkeypatch.setenv(SCHEDULER_VARIABLE, cluster.address)
    remote = pd.concat(classical_fits.run_tasks(tasks, models, [0, 1], "auto"), ignore_index=True)
    assert len(list((client_storage / "client-results" / "classical").glob("*/info.json"))) == 4
    with monkeypatch.context() as patch:
        patch.setenv("FAIRGAP_RESULTS", str(client_storage / "sequential-results"))
        local = pd.concat(classical_fits.run_tasks(tasks, models, [0, 1], "sequential"), ignore_index=True)
    pd.testing.assert_frame_equal(remote, local)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_worker_killed_mid_sweep_loses_nothing(cluster, client_storage, monkeypatch):
    """Runs last: it kills one of the module's two workers."""
    runs = plan(SMOKE.replace(epochs=4), SPECS, seeds=[10, 11])   # 6 runs, each a little longer than smoke
    landed = client_storage / "client-results" / "runs"
    victim = cluster.workers["w1"]["process"]
    killed = {}

    def kill_when_the_first_run_lands():
        deadline = time.time() + 90
        while time.time() < deadline and not list(landed.glob("*/info.json")):
            time.sleep(0.01)
        killed["landed"] = len(list(landed.glob("*/info.json")))
        os.kill(victim.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_when_the_first_run_lands, daemon=True)
    killer.start()
    table = run_sweep(runs, executor=cluster.address, progress=False)
    killer.join(timeout=10)
    assert victim.wait(timeout=10) == -signal.SIGKILL
    assert 1 <= killed["landed"] < len(runs), f"the worker was not killed mid-sweep ({killed})"
    assert all(load_cached(r.config) is not None for r in runs)
    pd.testing.assert_frame_equal(sorted_table(table), sorted_table(sequential_table(runs, client_storage,
                                                                                    monkeypatch)))


def test_an_unreachable_scheduler_is_named_with_what_to_do(client_storage, monkeypatch):
    import dask

    address = f"tcp://127.0.0.1:{free_port()}"   # nothing listens there
    runs = plan(SMOKE, [{"method": "erm"}], seeds=[0])
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(ConnectionError, match=f"Cannot reach the Dask scheduler at {address} "
                                                  rf"\(from executor='{address}'\).*dask scheduler"):
            run_sweep(runs, executor=address, progress=False)
        monkeypatch.setenv(SCHEDULER_VARIABLE, address)
        with pytest.raises(ConnectionError, match=f"from {SCHEDULER_VARIABLE}={address}.*unset {SCHEDULER_VARIABLE}"):
            run_sweep(runs, progress=False)
    assert not (client_storage / "client-data").exists(), "a run trained although the cluster was unreachable"
