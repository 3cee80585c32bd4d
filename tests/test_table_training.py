"""A table trains through fairgap.train's loop (fairgap.data.table): the networks of notebooks 00 and 08 are
exactly the full-batch Adam they were, and a fairness objective of fairgap.fairness runs on a table as on images."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from fairgap import classical_fits as classical, tabular
from fairgap.data.table import TABLE, FeatureSplit, table_dataset
from fairgap.fairness import make_objective
from fairgap.io import stable_hash
from fairgap.models import build_model, mlp_depth
from fairgap.train import CACHE_VERSION, RunConfig, run, run_folder, torch_threads, train, train_model


def biased_split(n=600, train_size=300, seed=0) -> tabular.TabularSplit:
    """A proxy feature carries the group, and the label depends on the group: ERM is unfair."""
    rng = np.random.default_rng(seed)
    group = rng.random(n) < 0.4
    skill = rng.normal(0, 1, n)
    frame = pd.DataFrame({"skill": skill, "proxy": group + rng.normal(0, 0.3, n), "city": rng.choice(["a", "b"], n),
                          "group": np.where(group, "B", "A"),
                          "label": (skill + 1.2 * group + rng.normal(0, 0.5, n) > 0.6).astype(int)})
    return tabular.from_dataframe(frame, target="label", sensitive="group").split(seed, train_size=train_size)


def reference_fit(spec: classical.ModelSpec, split, seed: int):
    """fit_torch as it was before it trained through fairgap.train (notebooks 00 and 08's committed figures):
    full-batch Adam on the objective's train_step, ``steps`` times, in data order; its model and decisions."""
    from torch import nn

    class Logit(nn.Module):
        def __init__(self, body):
            super().__init__()
            self.body = body

        def forward(self, x):
            return self.body(x).squeeze(-1)

    with torch_threads(1):
        torch.manual_seed(seed)
        x, y, g = (torch.as_tensor(a) for a in split.part("train"))
        if spec.model == "linear":
            model = Logit(nn.Linear(x.shape[1], 1))
        else:
            layers, previous = [], x.shape[1]
            for _ in range(spec.depth):
                layers += [nn.Linear(previous, spec.width), nn.ReLU()]
                previous = spec.width
            model = Logit(nn.Sequential(*layers, nn.Linear(previous, 1)))
        objective = make_objective(spec.penalty or "erm", {"weight": spec.weight} if spec.penalty else {},
                                   n_groups=len(split.group_labels))
        optimizer = torch.optim.Adam(model.parameters(), lr=spec.lr, weight_decay=spec.weight_decay)
        model.train()
        for _ in range(spec.steps):
            objective.train_step(model, optimizer, x, y, g)
        model.eval()
        with torch.no_grad():
            logits = model(torch.as_tensor(split.x_test))
        return [p.detach() for p in model.parameters()], logits


@pytest.mark.parametrize("spec", [
    dict(model="linear", steps=12),
    dict(model="mlp", width=16, steps=15, penalty="equalized_odds_max_penalty", weight=1.0),
    dict(model="mlp", width=8, depth=2, steps=10, penalty="demographic_parity_penalty", weight=0.5,
         weight_decay=1e-3, lr=0.05),
])
def test_the_table_networks_are_bit_for_bit_the_full_batch_adam_they_were(spec):
    """Same initialisation, batch (the whole split, in order), optimiser and steps: equal weights and logits,
    so that notebooks 00 and 08's cached fits and committed figures stand."""
    spec, split = classical.ModelSpec(**spec), biased_split()
    weights, logits = reference_fit(spec, split, seed=3)
    result, model = train_model(classical.network_config(spec, len(split.y_train), 3), table_dataset(split))
    mine = [p.detach() for p in model.parameters()]
    assert len(mine) == len(weights) and all(torch.equal(a, b) for a, b in zip(mine, weights))
    with torch.no_grad():
        assert torch.equal(model(torch.as_tensor(split.x_test)), logits)
    p_train, p_test, parameters = classical.fit_torch(spec, split, seed=3)
    assert np.array_equal(p_test, (logits >= 0).double().numpy())
    assert parameters == sum(w.numel() for w in weights)
    # The loop's own record of the run: the last epoch's train and test metrics, its scores.
    assert set(result.final().split) == {"train", "test", "optimization"}
    assert np.array_equal(result.scores["test"]["score"] >= 0.5, p_test.astype(bool))


def test_a_fairness_penalty_trains_a_table_through_the_image_loop():
    """Mini-batches, a cosine schedule and every epoch scored, as for the faces: the demographic-parity
    penalty lowers the training disparity that ERM leaves, epoch by epoch in the history."""
    split = biased_split(800, 400)
    dataset = table_dataset(split, "label", "group")
    base = RunConfig(dataset=TABLE, model="mlp", width=32, epochs=15, batch_size=64, lr=1e-2, seed=0)
    erm = train(base, dataset)
    fair = train(base.replace(method="demographic_parity_penalty", method_params={"weight": 3.0}), dataset)
    dp = lambda r: r.metric("demographic_parity_difference", "train")  # noqa: E731
    assert list(dp(erm).index) == list(range(16))   # epoch 0 (untrained) to 15
    assert dp(erm).iloc[-1] > 0.3
    assert dp(fair).iloc[-1] < dp(erm).iloc[-1] / 2
    assert fair.info["objective"] == "demographic_parity_penalty(weight=3.0)"
    penalty = fair.history[(fair.history.split == "optimization") & (fair.history.metric == "penalty")]
    assert len(penalty) == 15


def test_a_table_run_needs_its_split_and_table_models_check_their_width():
    with pytest.raises(ValueError, match="needs data=.'table'"):
        train(RunConfig(dataset=TABLE, model="mlp", width=8))
    with pytest.raises(ValueError, match="whole number"):
        build_model("mlp", 5, 2.5)
    with pytest.raises(ValueError, match="Unknown model 'mlpx'"):
        RunConfig(model="mlpx").validate()
    assert (mlp_depth("mlp"), mlp_depth("mlp3"), mlp_depth("mlp0"), mlp_depth("small_cnn")) == (1, 3, None, None)
    assert len(build_model("mlp2", 5, 4).backbone) == 4
    with pytest.raises(ValueError, match="float tensor"):
        FeatureSplit(torch.zeros(3, 2, dtype=torch.uint8), torch.zeros(3), torch.zeros(3))


def test_a_named_table_is_a_cached_run_whose_key_holds_its_file(tmp_path, monkeypatch):
    """dataset="table" loads the table and splits it with the run's seed; the run is cached like an image
    run, and editing the file changes the key (an image run's key has no such part)."""
    monkeypatch.setenv("FAIRGAP_RESULTS", str(tmp_path / "results"))
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "colour": rng.choice(["red", "blue"], 200),
                          "who": rng.choice(["p", "q"], 200), "y": rng.choice(["yes", "no"], 200)})
    path = tmp_path / "made_up.csv"
    frame.to_csv(path, index=False)
    config = RunConfig(dataset=TABLE, data={"table": str(path), "target": "y", "sensitive": "who", "positive": "yes",
                                            "train_size": 120}, model="linear", epochs=3, batch_size=32, seed=1)
    first = run(config)
    assert first.info["n_train"] == 120 and first.info["group_name"] == "who"
    assert run_folder(config).is_dir() and run(config).history.equals(first.history)
    assert not train(config.replace(seed=2)).history.equals(first.history)   # another seed, another split
    key = config.key()
    frame.iloc[:150].to_csv(path, index=False)
    assert config.key() != key
    image = RunConfig(device="cpu")   # an image run's key is what it was: its config and the cache version
    assert image.key() == stable_hash({"config": dataclasses.asdict(image), "cache_version": CACHE_VERSION})
