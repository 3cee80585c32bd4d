import pytest
import torch

from fairgap.remedies import EarlyStopping, augment_batch
from fairgap.sweep import final_epoch, plan, run_sweep
from fairgap.train import SELECTION, RunConfig, train

TINY = RunConfig(data={"n_train": 160, "n_val": 80, "n_test": 120, "image_size": 16}, width=0.25, epochs=3,
                 batch_size=64)


def test_augmentation_shifts_and_flips_but_keeps_shape():
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    out = augment_batch(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and not torch.equal(out, x)
    again = augment_batch(x, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)


def test_augmented_run_differs_from_plain():
    plain, augmented = train(TINY), train(TINY.replace(augment=True))
    assert not plain.history.value.equals(augmented.history.value)


def _rows(epoch, accuracy, disparity, collapsed=0.0):
    return [{"epoch": epoch, "split": "val", "group": "all", "metric": m, "value": v}
            for m, v in (("accuracy", accuracy), ("equalized_odds_difference", disparity), ("collapsed", collapsed))]


def test_early_stopping_picks_the_fairest_accurate_uncollapsed_epoch():
    model = torch.nn.Linear(2, 1)
    stopper = EarlyStopping("equalized_odds_difference", tolerance=0.02)
    history = [(1, 0.80, 0.01), (2, 0.90, 0.20), (3, 0.895, 0.10), (4, 0.91, 0.15), (5, 0.60, 0.0)]
    rows = []
    for epoch, accuracy, disparity in history:
        rows += _rows(epoch, accuracy, disparity, collapsed=float(epoch == 5))
        with torch.no_grad():
            model.weight.fill_(epoch)
        stopper.observe(epoch, rows, model)
    # epoch 1 is fair but inaccurate, 5 is collapsed; among 2-4 (within 0.02 of 0.91), 3 has the lowest disparity.
    assert stopper.best_epoch() == 3
    assert stopper.restore(model) == 3 and model.weight[0, 0].item() == 3


def test_early_stopping_run_reports_the_selected_epoch():
    result = train(TINY.replace(early_stopping=True, epochs=4))
    selected = result.history[result.history.split == SELECTION]
    assert len(selected) == 1
    epoch = int(selected.value.iloc[0])
    assert 1 <= epoch <= 4 and (result.final().epoch == epoch).all()


def test_last_layer_retraining_adds_a_final_evaluation():
    config = TINY.replace(last_layer={"method": "equalized_odds_max_penalty", "weight": 1.0, "epochs": 5})
    result = train(config)
    assert (result.final().epoch == config.epochs + 1).all()
    assert set(result.final().split) >= {"train", "val", "test"}


def test_final_epoch_of_a_sweep_respects_selection():
    runs = plan(TINY, [{"method": "erm"}, {"method": "erm", "early_stopping": True}], seeds=[0])
    table = run_sweep(runs, executor="sequential", progress=False)
    final = final_epoch(table)
    per_run = final.groupby("run").epoch.unique()
    assert all(len(epochs) == 1 for epochs in per_run)
    assert max(e[0] for e in per_run) == TINY.epochs


@pytest.mark.parametrize("change, message", [
    ({"fairness_data": "test"}, "fairness_data"),
    ({"early_stopping_metric": "fairness"}, "early_stopping_metric"),
    ({"last_layer": {"method": "nope"}}, "Valid methods"),
])
def test_bad_remedy_settings_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        TINY.replace(**change).validate()


def test_fairness_term_on_held_out_batches():
    config = TINY.replace(method="equalized_odds_max_penalty", method_params={"weight": 1.0}, fairness_data="val")
    h = train(config).history
    assert len(h[(h.split == "optimization") & (h.metric == "heldout_penalty")]) == config.epochs
    with pytest.raises(ValueError, match="task loss \\+ weight \\* penalty"):
        train(TINY.replace(method="group_dro", fairness_data="val"))
