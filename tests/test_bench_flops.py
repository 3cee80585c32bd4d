"""bench/bench.py's FLOP accounting (the "flops" section): counts that scale with the batch, a training
step that counts its backward pass, and an evaluation schedule that matches what the engine evaluates."""

import importlib.util
from pathlib import Path

import pytest

from fairgap.train import RunConfig, prepare_dataset, train

SPEC = importlib.util.spec_from_file_location("bench", Path(__file__).resolve().parents[1] / "bench" / "bench.py")
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)

TINY = RunConfig(data={"n_train": 160, "n_val": 60, "n_test": 120, "image_size": 16}, width=0.25, epochs=3,
                 batch_size=32, method="equalized_odds_max_penalty", method_params={"weight": 1.0})


def test_counted_flops_are_linear_in_the_batch():
    one, two = (bench.count_step_flops(TINY, (3, 16, 16), batch) for batch in (8, 16))
    for kind in ("train_step", "forward"):
        assert one[kind] > 0
        assert two[kind] == pytest.approx(2 * one[kind], rel=0.01)


def test_training_step_counts_the_backward_pass():
    counted = bench.count_step_flops(TINY, (3, 16, 16), 8)
    # Backward costs about twice the forward (gradients of inputs and of weights): the step at least doubles it.
    assert counted["train_step"] > 2 * counted["forward"]


def test_evaluation_schedule_matches_what_a_run_evaluates():
    for config in (TINY.replace(eval_every=2, population=48),        # epochs 0, 2 (train+test), 3 (every split)
                   TINY.replace(eval_every=TINY.epochs, population=48)):  # the last epoch only: no epoch 0
        dataset = prepare_dataset(config)
        history = train(config, dataset).history
        scored = bench.population_scored(history)
        sizes = {**{name: len(split) for name, split in dataset.splits.items()}, "population": scored}
        evaluated = history[history.split.isin(list(sizes))][["epoch", "split"]].drop_duplicates()
        schedule = bench.evaluation_schedule(config, dataset, scored)
        assert sum(schedule.values()) == sum(sizes[s] for s in evaluated.split)
        assert 0 < scored <= config.population

