import dataclasses
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from fairgap import train as train_module
from fairgap.sweep import mean_ci, plan, product, run_sweep
from fairgap.train import RunConfig

TINY = RunConfig(data={"n_train": 120, "n_val": 40, "n_test": 80, "image_size": 16}, width=0.25, epochs=1,
                 batch_size=64)
SPECS = product(method=["equalized_odds_max_penalty"], weight=[0.1, 1.0]) + [{"method": "erm"}]


def test_product_and_plan_label_every_run():
    runs = plan(TINY, SPECS, seeds=[0, 1])
    assert len(runs) == 6
    assert runs[0].labels == {"method": "equalized_odds_max_penalty", "weight": 0.1, "seed": 0}
    assert runs[0].config.method_params == {"weight": 0.1} and runs[1].config.seed == 1
    assert len({r.config.key() for r in runs}) == 6


def test_plan_rejects_a_bad_spec_before_training():
    with pytest.raises(ValueError, match="Valid parameters"):
        plan(TINY, [{"method": "erm", "weight": 1.0}])


def test_sequential_sweep_table_is_tidy_and_resumes_without_retraining(monkeypatch):
    runs = plan(TINY, SPECS, seeds=[0])
    table = run_sweep(runs, executor="sequential", progress=False)
    assert {"epoch", "split", "group", "metric", "value", "method", "weight", "seed", "run", "parameters"} <= set(table.columns)
    assert table.run.nunique() == 3
    monkeypatch.setattr(train_module, "train", lambda *a, **k: pytest.fail("finished run retrained"))
    again = run_sweep(runs, executor="sequential", progress=False)
    pd.testing.assert_frame_equal(table, again)


@pytest.fixture
def two_threads_here():
    """This process uses two torch threads, workers whatever they get: the tables must still be equal to
    the last digit, because each run sets its own thread count (RunConfig.threads)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    assert torch.get_num_threads() == 2, "a run did not restore the caller's thread count"
    torch.set_num_threads(before)


def test_processes_give_the_same_table_as_sequential(tmp_path, monkeypatch, two_threads_here):
    runs = plan(TINY, SPECS, seeds=[0])
    parallel = run_sweep(runs, executor="processes", workers=2, progress=False)
    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path / "sequential"))
    sequential = run_sweep(runs, executor="sequential", progress=False)
    pd.testing.assert_frame_equal(parallel, sequential)


@pytest.mark.slow
def test_dask_local_cluster_runs_the_sweep(tmp_path, monkeypatch, two_threads_here):
    from dask.distributed import Client, LocalCluster

    runs = plan(TINY, SPECS[:2], seeds=[0])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        table = run_sweep(runs, executor="dask", client=client, progress=False)
    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path / "sequential"))
    pd.testing.assert_frame_equal(table, run_sweep(runs, executor="sequential", progress=False))


def interrupted_sweep_runs():
    """The sweep that the kill test interrupts (the child process imports this function)."""
    return plan(TINY, product(method=["equalized_odds_max_penalty"], weight=[0.1, 0.3, 1.0, 3.0, 10.0, 30.0]),
                seeds=[0])


# The child restores Python's own Ctrl-C handler: a child inherits an ignored SIGINT, and Python then
# installs none, so once an earlier test in this process (a kernel, a cluster) has set SIGINT to ignore,
# the SIGINT case would test nothing of the sweep. A user's shell delivers Ctrl-C to a default handler.
CHILD = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); " \
        f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); " \
        "from test_sweep import interrupted_sweep_runs, run_sweep; " \
        "run_sweep(interrupted_sweep_runs(), executor='sequential', progress=False)"


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_a_killed_sweep_resumes_and_ends_with_the_uninterrupted_table(sig, tmp_path, monkeypatch, two_threads_here):
    runs_dir = tmp_path / "results" / "runs"
    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path / "results"))
    # The child gets another thread count than this process: the run's own setting decides the numbers.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(runs_dir.glob("*/info.json"))) < 2:
        time.sleep(0.05)
    child.send_signal(sig)
    child.wait(timeout=60)
    finished = len(list(runs_dir.glob("*/info.json")))
    assert 2 <= finished < 6, "the sweep was not interrupted part-way"

    trained = []
    original = train_module.train
    monkeypatch.setattr(train_module, "train", lambda config, **k: trained.append(config) or original(config, **k))
    resumed = run_sweep(interrupted_sweep_runs(), executor="sequential", progress=False)
    assert len(trained) == 6 - finished, "finished runs were retrained, or unfinished ones skipped"

    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path / "uninterrupted"))
    uninterrupted = run_sweep(interrupted_sweep_runs(), executor="sequential", progress=False)
    pd.testing.assert_frame_equal(resumed, uninterrupted)


def test_mean_ci_is_the_claims_t_interval_per_cell():
    from fairgap.evidence import t_interval

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"cell": ["a"] * 5 + ["b"] * 3 + ["c"], "value": rng.uniform(size=9)})
    out = mean_ci(frame, ["cell"]).set_index("cell")
    for cell in ("a", "b"):
        values = frame[frame.cell == cell].value
        assert (out.loc[cell, "ci_low"], out.loc[cell, "ci_high"]) == pytest.approx(t_interval(values))
        assert out.loc[cell, "ci_low"] < values.mean() < out.loc[cell, "ci_high"]
        assert out.loc[cell, "n"] == len(values)
    assert np.isnan(out.loc["c", "ci_low"]) and out.loc["c", "n"] == 1   # one seed: no interval


def test_unknown_executor_is_refused():
    with pytest.raises(ValueError, match="Valid executors"):
        run_sweep(plan(TINY, [{"method": "erm"}]), executor="slurm")


def test_a_worker_gets_the_configs_own_payload_else_its_fields(tmp_path, monkeypatch):
    """train_pending sends a worker ``config.payload()`` where the config has one (a classical fit sends
    itself, with the splitter of its data), else the config's fields (RunConfig, VerificationConfig)."""
    from fairgap import sweep

    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path))
    payload, results, _ = sweep._payload(TINY)
    assert payload == dataclasses.asdict(TINY) and RunConfig(**payload).key() == TINY.key() and results == str(tmp_path)

    class Own:
        def payload(self):
            return ("mine", self)

    own = Own()
    assert sweep._payload(own)[0] == ("mine", own)


def test_collapse_share_counts_constant_predictors_per_cell():
    from fairgap.sweep import collapse_share

    rows = []
    for run, weight, collapsed in (("a", 1.0, 0.0), ("b", 1.0, 1.0), ("c", 3.0, 1.0)):
        for epoch in (1, 2):
            rows.append({"run": run, "weight": weight, "epoch": epoch, "split": "test", "group": "all",
                         "metric": "collapsed", "value": collapsed if epoch == 2 else 0.0})
    share = collapse_share(pd.DataFrame(rows), by=["weight"]).set_index("weight")
    assert share.loc[1.0, "collapsed_share"] == 0.5 and share.loc[3.0, "collapsed_share"] == 1.0
    assert share.loc[1.0, "seeds"] == 2
    # Scored on the population too: the share is read there (where run "a" also collapsed), unless asked for test.
    population = [{**row, "split": "population", "value": 1.0 if row["epoch"] == 2 else 0.0} for row in rows]
    both = pd.DataFrame(rows + population)
    assert collapse_share(both, by=["weight"]).set_index("weight").loc[1.0, "collapsed_share"] == 1.0
    assert collapse_share(both, by=["weight"], split="test").set_index("weight").loc[1.0, "collapsed_share"] == 0.5


def test_a_spec_can_carry_its_own_seeds_and_they_stay_out_of_the_labels():
    from fairgap.claims.primary import EO_WEIGHT, seeds_for
    from fairgap.profiles import base_config

    base = base_config("smoke")
    erm = {"method": "erm", "width": 0.5}  # ERM at a middle width: not a primary setting of notebook 03
    eo = {"method": "equalized_odds_max_penalty", "weight": EO_WEIGHT, "warmup_epochs": 2, "width": 1.0}
    specs = [{"label": "ERM", **erm, "seeds": seeds_for("03_model_capacity", erm, [0], [0, 1, 2])},
             {"label": "EO penalty", **eo, "seeds": seeds_for("03_model_capacity", eo, [0], [0, 1, 2])}]
    runs = plan(base, specs, seeds=[9])
    assert [(r.labels["label"], r.config.seed) for r in runs] == [("ERM", 0), ("EO penalty", 0),
                                                                 ("EO penalty", 1), ("EO penalty", 2)]
    assert all("seeds" not in r.labels for r in runs)
    assert plan(base, [{"method": "erm"}], seeds=[4, 5])[1].config.seed == 5   # without its own: the sweep's


def test_a_settings_seeds_follow_the_setting_not_its_label():
    from fairgap.claims.primary import EO_WEIGHT, EOPP_WEIGHT, PRIMARY_SEEDS, seeds_for

    eopp = {"method": "equal_opportunity_penalty", "weight": EOPP_WEIGHT, "warmup_epochs": 2}
    primary, other = list(range(10)), [0, 1, 2]
    # Renaming a label changes nothing: the same spec under any label gets the primary seeds.
    for label in (f"EOpp penalty λ={EOPP_WEIGHT:g}", "EOpp (renamed)", "anything"):
        assert seeds_for("06_medical_diagnosis", {"label": label, **eopp}, other, primary) == primary
    # A different setting under the primary's label does not inherit them.
    assert seeds_for("06_medical_diagnosis", {"label": f"EOpp penalty λ={EOPP_WEIGHT:g}", **eopp, "weight": 3.0},
                     other, primary) == other
    # Every listed setting is matched exactly (an extra parameter makes another setting).
    eo = {"method": "equalized_odds_max_penalty", "weight": EO_WEIGHT, "warmup_epochs": 2}
    assert seeds_for("02_constraint_strength", eo, other, primary) == primary
    assert seeds_for("02_constraint_strength", {**eo, "weight": 1.0}, other, primary) == other
    assert seeds_for("07_remedies", {**eo, "weight_decay": 0.3}, other, primary) == other
    assert seeds_for("01_fairness_overfits", eo, other, primary) == primary
    assert seeds_for("01_fairness_overfits", {"method": "erm"}, other, primary) == other   # its claim needs no ERM
    # On Adult (a notebook's -adult key) the same settings; a table of a user's declares none.
    assert seeds_for("02_constraint_strength-adult", eo, other, primary) == primary
    assert seeds_for("02_constraint_strength-file-mine", eo, other, primary) == other
    assert all(isinstance(s, dict) for settings in PRIMARY_SEEDS.values() for s in settings)
    with pytest.raises(TypeError, match="spec"):
        seeds_for("06_medical_diagnosis", "EOpp penalty λ=1", other, primary)


def test_notebook_06_runs_its_primary_methods_at_the_primary_seeds():
    from fairgap.studies import f6_medical as medical

    base = medical.experiment_config("smoke")
    from fairgap.claims.primary import EOPP_WEIGHT

    methods = {"ERM": {"method": "erm"}, "EOpp penalty λ=1": {"method": "equal_opportunity_penalty", "weight": EOPP_WEIGHT,
                                                               "warmup_epochs": 2},
               "MinDiff λ=1": {"method": "mindiff", "weight": 1.0}}
    configs = medical.method_configs(base, methods, seeds=[0], primary_seeds=[0, 1])
    assert sorted(configs) == [("EOpp penalty λ=1", 0), ("EOpp penalty λ=1", 1), ("ERM", 0), ("ERM", 1),
                               ("MinDiff λ=1", 0)]
    assert medical.scale("default")["primary_seeds"] == list(range(10))


def test_a_requested_training_size_labels_every_seed_even_when_the_subsample_falls_short():
    # seed 2's own data give a stratified subsample of 76 for 77 requested (its groups x labels cells round down)
    runs = plan(TINY, [{"method": "erm", "n_train": 77}], seeds=[0, 2])
    table = run_sweep(runs, executor="sequential", progress=False)
    assert set(table.n_train) == {77}
