import json

import numpy as np
import pandas as pd
import pytest

from fairgap import train as train_module
from fairgap.train import HISTORY_COLUMNS, RunConfig, load_cached, run, run_folder, train

TINY = RunConfig(data={"n_train": 160, "n_val": 60, "n_test": 120, "image_size": 16}, width=0.25, epochs=2,
                 batch_size=64)


def test_history_has_every_epoch_split_group_and_metric():
    result = train(TINY)
    h = result.history
    assert tuple(h.columns) == HISTORY_COLUMNS
    assert sorted(h.epoch.unique()) == [0, 1, 2]
    assert set(h.split) == {"train", "val", "test", "optimization"}
    evaluated = h[h.split == "test"]
    assert set(evaluated.group) == {"all", "lighter", "darker"}
    for metric in ("loss", "accuracy", "tpr", "fpr", "auc"):
        assert len(evaluated[(evaluated.metric == metric) & (evaluated.group == "darker")]) == 3
    for disparity in ("demographic_parity_difference", "equal_opportunity_difference",
                      "equalized_odds_difference", "accuracy_difference", "collapsed"):
        assert len(evaluated[(evaluated.metric == disparity) & (evaluated.group == "all")]) == 3
    assert result.scores["test"]["score"].shape == (120,)
    assert result.info["parameters"] > 0


def test_same_config_same_history_and_other_seed_differs():
    a, b = train(TINY), train(TINY)
    pd.testing.assert_frame_equal(a.history, b.history)
    c = train(TINY.replace(seed=1))
    assert not np.allclose(a.history.value.to_numpy(), c.history.value.to_numpy(), equal_nan=True)


def test_penalty_run_records_its_penalty():
    h = train(TINY.replace(method="equalized_odds_max_penalty", method_params={"weight": 1.0})).history
    assert len(h[(h.split == "optimization") & (h.metric == "penalty")]) == 2


def test_warmup_epochs_train_plain_erm_first():
    h = train(TINY.replace(method="equalized_odds_max_penalty", method_params={"weight": 1.0}, epochs=3,
                           warmup_epochs=2)).history
    penalties = h[(h.split == "optimization") & (h.metric == "penalty")]
    assert penalties.epoch.tolist() == [3]


def test_run_caches_and_reuses(monkeypatch):
    first = run(TINY)
    assert (run_folder(TINY) / "info.json").is_file()
    monkeypatch.setattr(train_module, "train", lambda *a, **k: pytest.fail("cached run was retrained"))
    again = run(TINY)
    pd.testing.assert_frame_equal(first.history, again.history, check_dtype=False)
    np.testing.assert_array_equal(first.scores["test"]["score"], again.scores["test"]["score"])


def test_corrupt_cache_entry_is_recomputed():
    run(TINY)
    folder = run_folder(TINY)
    (folder / "history.csv").write_text("epoch,split\n1,")
    assert load_cached(TINY) is None
    (folder / "info.json").write_text("{not json")
    assert load_cached(TINY) is None
    rerun = run(TINY)
    assert len(rerun.history) > 0 and load_cached(TINY) is not None
    assert json.loads((folder / "info.json").read_text())["key"] == TINY.key()


def test_config_key_changes_with_any_field():
    assert TINY.key() != TINY.replace(lr=0.01).key()
    assert TINY.key() != TINY.replace(method_params={"weight": 1}).key()
    assert TINY.key() == RunConfig(**{**TINY.__dict__}).key()


@pytest.mark.parametrize("change, message", [
    ({"model": "vgg"}, "Valid models"),
    ({"dataset": "mnist"}, "Valid datasets"),
    ({"method": "nope"}, "Valid methods"),
    ({"width": 0}, "width must be positive"),
    ({"n_train": 0}, "n_train must be positive"),
    ({"optimizer": "rmsprop"}, "Valid optimizers"),
    ({"method": "equalized_odds_max_penalty", "method_params": {"weight": -2}}, "weight=-2"),
])
def test_bad_config_fails_before_training(change, message, monkeypatch):
    monkeypatch.setattr(train_module, "prepare_dataset", lambda c: pytest.fail("loaded data for a bad config"))
    with pytest.raises(ValueError, match=message):
        run(TINY.replace(**change))


def test_a_group_with_one_class_is_refused():
    config = TINY.replace(data={**TINY.data, "base_rate": (0.5, 0.0)})
    with pytest.raises(ValueError, match="only target=0"):
        train(config)


def test_bf16_autocast_path_runs_and_records_finite_metrics():
    # The GPU path of the paper profile uses bfloat16 autocast; CPU autocast exercises the same code.
    h = train(TINY.replace(precision="bf16")).history
    evaluated = h[h.split == "test"]
    assert np.isfinite(evaluated[evaluated.metric == "accuracy"].value).all()


def test_unknown_precision_and_missing_gpu_are_refused():
    with pytest.raises(ValueError, match="Valid: fp32, bf16"):
        TINY.replace(precision="fp8").validate()
    import torch
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            train(TINY.replace(device="cuda"))


def test_validation_is_evaluated_at_the_last_epoch_unless_early_stopping_reads_it_every_epoch():
    h = train(TINY.replace(epochs=3)).history
    assert sorted(h[h.split == "val"].epoch.unique()) == [0, 3]
    assert sorted(h[h.split == "test"].epoch.unique()) == [0, 1, 2, 3]
    stopped = train(TINY.replace(epochs=3, early_stopping=True)).history
    assert sorted(stopped[stopped.split == "val"].epoch.unique()) == [0, 1, 2, 3]


def test_final_scores_are_the_last_evaluated_model():
    result = train(TINY)
    final = result.final()
    test_accuracy = final[(final.split == "test") & (final.metric == "accuracy") & (final.group == "all")].value
    scores = result.scores["test"]
    assert float(test_accuracy.iloc[0]) == pytest.approx(np.mean((scores["score"] >= 0.5) == scores["target"]))


def test_run_sets_its_own_thread_count_and_restores_the_callers():
    import torch

    before = torch.get_num_threads()
    seen = []
    original = train_module._train
    try:
        train_module._train = lambda *a: seen.append(torch.get_num_threads())
        train(TINY.replace(threads=1))
        train(TINY.replace(threads=2))
    finally:
        train_module._train = original
    assert seen == [1, 2] and torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads must be positive"):
        TINY.replace(threads=0).validate()


def test_cache_key_holds_the_resolved_device(monkeypatch):
    import torch

    cpu_key = TINY.replace(device="cpu").key()
    assert TINY.replace(device="auto").key() == cpu_key          # no GPU here: "auto" is this CPU run
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert TINY.replace(device="auto").key() != cpu_key          # with a GPU, "auto" is another run


def test_scores_come_from_a_copy_with_batchnorm_folded_into_the_convolutions():
    import torch

    from fairgap.models import build_model, folded_for_inference

    model = build_model("small_cnn", 3, 0.5)
    model.train()
    x = torch.randn(32, 3, 16, 16)
    for _ in range(3):
        model(x).sum().backward()            # moves the running statistics away from 0 and 1
    model.eval()
    folded = folded_for_inference(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())   # the model itself untouched
    with torch.inference_mode():
        assert torch.allclose(folded(x), model(x), atol=1e-5)


@pytest.mark.parametrize("channels, width", [(3, 0.5), (1, 0.0625), (3, 1.0)])
def test_the_batch_sizes_of_scoring_and_embedding_move_no_score(channels, width):
    """predict_scores' batches of 128 (256 before) and embed's of 256 (512 before) are speed settings: on a
    1,000-image split (a remainder batch either way) every score and embedding is bit for bit the one the
    old batch size gave, so cached results stay valid. (Not true of every batch size: oneDNN picks its
    kernels by the batch, and some odd sizes round differently in the last bit.)"""
    import torch

    from fairgap.models import build_model
    from fairgap.train import Normalizer, predict_scores
    from fairgap.verification.model import EmbeddingNet
    from fairgap.verification.train import embed

    torch.manual_seed(0)
    images = torch.randint(0, 256, (1000, channels, 32, 32), dtype=torch.uint8)
    normalize = Normalizer(images, torch.device("cpu"))
    model = build_model("small_cnn", channels, width).to(memory_format=torch.channels_last)
    embedder = EmbeddingNet("small_cnn", channels, width, dim=8).to(memory_format=torch.channels_last)
    for net in (model, embedder):
        net.train()
        with torch.no_grad():
            net(normalize(images[:64]))          # running statistics away from 0 and 1
    with train_module.torch_threads(1):      # the runs' one thread
        assert torch.equal(predict_scores(model, images, normalize), predict_scores(model, images, normalize, 256))
        assert torch.equal(embed(embedder, images, normalize), embed(embedder, images, normalize, 512))


# --- a run evaluated more often serves the same run evaluated less often (train.evaluated_more_often) ---

def test_evaluated_epochs_follow_eval_every():
    assert train_module.evaluated_epochs(TINY.replace(epochs=5, eval_every=2)) == {0, 2, 4, 5}
    assert train_module.evaluated_epochs(TINY.replace(epochs=4, eval_every=4)) == {4}   # a sweep: its end only
    assert train_module.evaluated_epochs(TINY.replace(epochs=4, eval_every=9)) == {4}


def test_only_runs_evaluated_at_a_superset_of_the_epochs_may_serve():
    eval_every = lambda configs: [c.eval_every for c in configs]  # noqa: E731
    assert eval_every(train_module.evaluated_more_often(TINY.replace(epochs=6, eval_every=4))) == [2, 1]
    assert eval_every(train_module.evaluated_more_often(TINY.replace(epochs=6, eval_every=6))) == [5, 4, 3, 2, 1]
    assert eval_every(train_module.evaluated_more_often(TINY.replace(epochs=6, eval_every=3))) == [1]
    # Early stopping selects among the evaluated epochs: evaluated more often, it is another run.
    assert train_module.evaluated_more_often(TINY.replace(epochs=6, eval_every=2, early_stopping=True)) == []


@pytest.mark.parametrize("requested, served_by", [(4, 1), (2, 1), (4, 2)])
def test_a_run_served_by_one_evaluated_more_often_equals_training_it(requested, served_by, monkeypatch):
    base = TINY.replace(epochs=4, method="equalized_odds_max_penalty", method_params={"weight": 1.0},
                        population=400)
    run(base.replace(eval_every=served_by))
    trained = train(base.replace(eval_every=requested))
    monkeypatch.setattr(train_module, "train", lambda *a, **k: pytest.fail("a served run was retrained"))
    served = run(base.replace(eval_every=requested))
    assert served.info["served_by"] == base.replace(eval_every=served_by).key()
    pd.testing.assert_frame_equal(served.history, trained.history)
    assert served.scores.keys() == trained.scores.keys()
    for split in trained.scores:
        for part in trained.scores[split]:
            np.testing.assert_array_equal(served.scores[split][part], trained.scores[split][part])


def test_a_last_layer_run_keeps_its_selection_rows_when_served():
    base = TINY.replace(epochs=4, last_layer={"method": "erm", "epochs": 1})
    run(base.replace(eval_every=1))
    pd.testing.assert_frame_equal(load_cached(base.replace(eval_every=2)).history,
                                  train(base.replace(eval_every=2)).history)


def test_a_run_evaluated_less_often_does_not_serve_one_evaluated_more_often():
    run(TINY.replace(epochs=4, eval_every=4))
    assert load_cached(TINY.replace(epochs=4, eval_every=2)) is None


def test_a_trained_run_records_its_time_and_notebook_beside_its_entry(monkeypatch):
    from fairgap.paths import NOTEBOOK_VARIABLE

    monkeypatch.setenv(NOTEBOOK_VARIABLE, "01_fairness_overfits")
    run(TINY)
    timing = json.loads((run_folder(TINY) / "timing.json").read_text())
    assert timing["notebook"] == "01_fairness_overfits" and timing["seconds"] > 0 and timing["load_average"] >= 0
    assert "seconds" not in json.loads((run_folder(TINY) / "info.json").read_text())   # the result stays pure


def test_load_or_compute_computes_once_and_times_only_what_it_computed(tmp_path):
    from fairgap.io import load_or_compute

    store, calls = {}, []

    def compute():
        calls.append(1)
        return "result"

    def failing():
        raise RuntimeError("interrupted")

    assert load_or_compute(tmp_path / "a", lambda: store.get("a"), compute, lambda r: store.update(a=r)) == "result"
    assert load_or_compute(tmp_path / "a", lambda: store.get("a"), compute, lambda r: store.update(a=r)) == "result"
    assert calls == [1] and (tmp_path / "a" / "timing.json").is_file()
    with pytest.raises(RuntimeError, match="interrupted"):
        load_or_compute(tmp_path / "b", lambda: None, failing, lambda r: store.update(b=r))
    assert "b" not in store and not (tmp_path / "b" / "timing.json").exists()   # nothing half-written
