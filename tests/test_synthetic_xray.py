"""The synthetic chest X-ray generator: determinism, shapes, the generative model's rates, validation;
the models that notebook 06 uses on its 1-channel images; notebook 06's threshold and table logic."""

import time

import numpy as np
import pytest
import torch

from fairgap.data import DATASETS, load_dataset
from fairgap.data.synthetic_xray import (FINDINGS, XrayConfig, generate_attributes, make_synthetic_xray, render)
from fairgap.models import build_model

SMALL = dict(n_train=120, n_val=40, n_test=80, image_size=16)


def attributes(n=40000, **knobs):
    return generate_attributes(n, XrayConfig(**knobs), np.random.default_rng(0))


def test_same_seed_same_images_and_labels_other_seed_differs():
    a = make_synthetic_xray(XrayConfig(**SMALL, seed=3))
    b = make_synthetic_xray(XrayConfig(**SMALL, seed=3))
    for split in ("train", "val", "test"):
        assert torch.equal(a[split].images, b[split].images)
        assert torch.equal(a[split].target, b[split].target)
        assert torch.equal(a[split].group, b[split].group)
    c = make_synthetic_xray(XrayConfig(**SMALL, seed=4))
    assert not torch.equal(a["train"].images, c["train"].images)


def test_test_split_does_not_depend_on_train_size():
    a = make_synthetic_xray(XrayConfig(**{**SMALL, "n_train": 100}))
    b = make_synthetic_xray(XrayConfig(**{**SMALL, "n_train": 150}))
    assert torch.equal(a["test"].images, b["test"].images)


@pytest.mark.parametrize("size", [16, 32])
def test_shapes_dtypes_and_groups(size):
    ds = make_synthetic_xray(XrayConfig(**{**SMALL, "image_size": size}))
    assert ds.name == "synthetic_xray"
    assert ds["train"].images.shape == (120, 1, size, size)
    assert ds["train"].images.dtype == torch.uint8
    assert ds.image_shape == (1, size, size)
    assert len(ds["val"]) == 40 and len(ds["test"]) == 80
    assert set(ds["train"].target.unique().tolist()) == {0, 1}
    assert set(ds["train"].group.unique().tolist()) == {0, 1}
    assert ds.target_name == "effusion" and ds.group_name == "sex" and ds.group_labels == ("male", "female")
    assert ds["train"].images.float().std() > 20  # not blank


def test_age_as_sensitive_attribute_bins_at_the_threshold():
    config = XrayConfig(**SMALL, sensitive="age", age_threshold=65)
    assert config.group_labels == ("under 65", "65 and over")
    attrs = generate_attributes(5000, config, np.random.default_rng(1))
    assert (attrs["group"] == attrs["older"]).all()
    assert (attrs["age"][attrs["group"] == 1] >= 65).all() and (attrs["age"][attrs["group"] == 0] < 65).all()
    assert make_synthetic_xray(config).group_name == "age"


@pytest.mark.parametrize("sensitive", ["sex", "age"])
def test_group_share_prevalence_and_label_noise_follow_the_config(sensitive):
    attrs = attributes(sensitive=sensitive, female_proportion=0.3, older_proportion=0.6, prevalence=(0.5, 0.15),
                       label_noise=(0.0, 0.2))
    group, finding, label = attrs["group"], attrs["finding"], attrs["label"]
    assert abs(attrs["female"].mean() - 0.3) < 0.01 and abs(attrs["older"].mean() - 0.6) < 0.01
    assert abs(group.mean() - (0.3 if sensitive == "sex" else 0.6)) < 0.01
    assert abs(finding[group == 0].mean() - 0.5) < 0.02
    assert abs(finding[group == 1].mean() - 0.15) < 0.015
    assert (label[group == 0] == finding[group == 0]).all()
    assert abs((label[group == 1] != finding[group == 1]).mean() - 0.2) < 0.015


@pytest.mark.parametrize("target", FINDINGS)
def test_difficulty_shrinks_the_cue_of_the_target_finding(target):
    attrs = attributes(n=20000, target=target, difficulty=(0.0, 0.8))
    separation = []
    for g in (0, 1):
        cue, finding = attrs[target][attrs["group"] == g], attrs["finding"][attrs["group"] == g]
        separation.append(cue[finding == 1].mean() - cue[finding == 0].mean())
    assert separation[0] > 4 * separation[1] > 0


def test_device_and_projection_depend_on_the_finding_only():
    attrs = attributes(device_rate=(0.1, 0.6), ap_rate=(0.2, 0.7))
    finding = attrs["finding"]
    assert abs(attrs["device"][finding == 0].mean() - 0.1) < 0.015
    assert abs(attrs["device"][finding == 1].mean() - 0.6) < 0.02
    assert abs(attrs["ap"][finding == 1].mean() - 0.7) < 0.02
    for g in (0, 1):  # within a finding class, the group does not matter
        in_class = (finding == 0) & (attrs["group"] == g)
        assert abs(attrs["device"][in_class].mean() - 0.1) < 0.02
    neutral = attributes(device_rate=(0.3, 0.3))
    assert abs(neutral["device"][neutral["finding"] == 1].mean() - neutral["device"][neutral["finding"] == 0].mean()) < 0.02


def _render_pair(target, cue):
    """Two copies of one patient that differ only in the target finding's cue."""
    config = XrayConfig(n_train=2, image_size=32, target=target, pixel_noise=0.0, device_rate=(0, 0))
    attrs = generate_attributes(2, config, np.random.default_rng(0))
    attrs = {k: np.repeat(v[:1], 2, axis=0) for k, v in attrs.items()}
    attrs[target] = np.array([0.0 if target != "cardiomegaly" else -0.05, cue])
    images = render(attrs, 32, 0.0, np.random.default_rng(0))[:, 0].astype(int)
    return np.abs(images[0] - images[1])


def test_an_effusion_brightens_the_lung_bases_only():
    diff = _render_pair("effusion", 0.4)
    rows = np.flatnonzero((diff > 20).any(1))
    assert rows.size and rows.min() >= 14, "fluid collects at the bottom of the lungs (lower half of the image)"


def test_cardiomegaly_widens_the_heart_and_opacity_changes_the_lungs():
    heart = _render_pair("cardiomegaly", 0.12)
    assert (heart > 20).sum() > 10
    opacity = _render_pair("opacity", 0.3)
    assert (opacity > 20).sum() > 3


def test_load_dataset_registers_and_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("FAIRGAP_DATA", str(tmp_path))
    assert "synthetic_xray" in DATASETS
    a = load_dataset("synthetic_xray", **SMALL, prevalence=[0.4, 0.3])  # lists are accepted for pairs
    assert len(list((tmp_path / "cache").glob("synthetic_xray-*"))) == 1
    b = load_dataset("synthetic_xray", **SMALL, prevalence=[0.4, 0.3])
    assert torch.equal(a["train"].images, b["train"].images)
    assert tuple(b.info["config"]["prevalence"]) == (0.4, 0.3)
    assert set(a.info["groups"]["train"]) == {"0", "1"}
    with pytest.raises(ValueError, match="Unknown option.*'sensitve'.*Valid options"):
        load_dataset("synthetic_xray", sensitve="age")


@pytest.mark.parametrize("knobs, text", [
    ({"target": "Pneumonia"}, "target='Pneumonia' must be one of effusion, opacity, cardiomegaly"),
    ({"sensitive": "race"}, "sensitive='race' must be one of sex, age"),
    ({"prevalence": (0.5, 1.2)}, "prevalence=.* must be two numbers .group 0, group 1. in \\[0, 1\\]"),
    ({"prevalence": (0.5,)}, "prevalence"),
    ({"difficulty": (0.2, 1.0)}, "difficulty=.* must be below 1"),
    ({"label_noise": (0.0, 0.6)}, "label_noise"),
    ({"device_rate": (0.1, "x")}, "device_rate=.*finding absent, present"),
    ({"female_proportion": 1.0}, "female_proportion=1.0 must be strictly between 0 and 1"),
    ({"age_threshold": 10}, "age_threshold"),
    ({"image_size": 4}, "image_size=4"),
    ({"n_train": 0}, "n_train=0"),
])
def test_invalid_settings_name_the_knob_and_the_valid_range(knobs, text):
    with pytest.raises(ValueError, match="Invalid synthetic X-ray settings: .*" + text):
        XrayConfig(**knobs)


@pytest.mark.parametrize("name, size", [("small_cnn", 32), ("densenet121", 32), ("densenet121", 64)])
def test_models_take_one_channel_images(name, size):
    torch.manual_seed(0)
    model = build_model(name, in_channels=1).eval()
    with torch.no_grad():
        logits = model(torch.randn(2, 1, size, size))
    assert logits.shape == (2,) and torch.isfinite(logits).all()


@pytest.mark.slow
def test_twenty_thousand_images_render_quickly():
    start = time.perf_counter()
    ds = make_synthetic_xray(XrayConfig(n_train=20000, n_val=0, n_test=1, image_size=32))
    assert len(ds["train"]) == 20000
    assert time.perf_counter() - start < 30


# --- notebook 06's logic (fairgap.studies.f6_medical, fairgap.plots.f6_medical) on hand-made scores: no training ---

import pandas as pd  # noqa: E402

from fairgap.studies import f6_medical as medical  # noqa: E402
from fairgap.train import RunConfig, RunResult  # noqa: E402


def fake_result(seed=0, shift=0.0, n=400, flip_groups=False):
    """A run whose scores separate the classes well in group 0 and poorly in group 1."""
    rng = np.random.default_rng(seed)
    scores = {}
    for split in ("train", "val", "test"):
        r = np.random.default_rng(100 + ("train", "val", "test").index(split))
        group = r.integers(0, 2, n)
        target = (r.random(n) < 0.3).astype(np.int64)
        separation = np.where(group == (1 if flip_groups else 0), 2.5, 0.8)
        logit = separation * (2 * target - 1) + r.normal(0, 1, n) + rng.normal(0, 0.05, n) + shift * group
        scores[split] = {"score": 1 / (1 + np.exp(-logit)), "target": target, "group": group}
    info = {"group_labels": ["male", "female"]}
    return RunResult(RunConfig(), pd.DataFrame(), scores, info)


def test_threshold_rules():
    rng = np.random.default_rng(0)
    target = (rng.random(2000) < 0.3).astype(int)
    score = 1 / (1 + np.exp(-(2 * target - 1 + rng.normal(0, 1, 2000))))
    t = medical.choose_threshold(score, target, "tpr", 0.8)
    tpr = lambda thr: (score[target == 1] >= thr).mean()  # noqa: E731
    assert tpr(t) >= 0.8 and tpr(np.nextafter(t, 1)) < 0.8  # the highest threshold that reaches 80%
    b = medical.choose_threshold(score, target, "balanced_accuracy")
    balanced = lambda thr: ((score[target == 1] >= thr).mean() + (score[target == 0] < thr).mean()) / 2  # noqa: E731
    assert balanced(b) >= max(balanced(x) for x in np.linspace(0.05, 0.95, 91)) - 1e-9
    with pytest.raises(ValueError, match="Valid rules: tpr, balanced_accuracy"):
        medical.choose_threshold(score, target, "youden")
    with pytest.raises(ValueError, match="both positive and negative"):
        medical.choose_threshold(score, np.ones_like(target))


def test_score_table_summary_and_consequences():
    results = {("ERM", 0): fake_result(0), ("Method", 0): fake_result(0, shift=0.5)}
    table = medical.score_table(results, "tpr", 0.8)
    assert set(table.split) == {"train", "val", "test"}
    row = table[(table.method == "ERM") & (table.split == "test")]
    threshold = row[row.metric == "threshold"].value.iloc[0]
    part = results[("ERM", 0)].scores["test"]
    tprs = [(part["score"][(part["group"] == g) & (part["target"] == 1)] >= threshold).mean() for g in (0, 1)]
    gap = row[row.metric == "equal_opportunity_difference"].value.iloc[0]
    assert gap == pytest.approx(abs(tprs[0] - tprs[1]))
    val = results[("ERM", 0)].scores["val"]
    assert (val["score"][val["target"] == 1] >= threshold).mean() >= 0.8

    overview = medical.summary(table)
    assert list(overview.index) == ["ERM", "Method"]
    assert overview.loc["ERM", "test TPR gap"] == pytest.approx(gap)
    assert overview.loc["ERM", "test AUC (male)"] > overview.loc["ERM", "test AUC (female)"]
    assert not overview.collapsed.any()

    changes = medical.consequences(results, table, reference="ERM", n_boot=50)
    assert set(changes.method) == {"Method"} and set(changes.metric) == {"AUC", "TPR"}
    for r in changes.itertuples():
        assert r.low <= r.change <= r.high
    # The same run against itself changes nothing.
    same = medical.consequences({("ERM", 0): results[("ERM", 0)], ("Copy", 0): results[("ERM", 0)]},
                                medical.score_table({("ERM", 0): results[("ERM", 0)], ("Copy", 0): results[("ERM", 0)]}),
                                n_boot=20)
    assert np.allclose(same[["change", "low", "high"]].to_numpy(), 0)
    assert medical.consequences(results, table, reference="absent").empty


def test_figure_draws_every_panel():
    import matplotlib.pyplot as plt

    from fairgap.plots import f6_medical as plots

    results = {(label, s): fake_result(s, shift) for label, shift in (("ERM", 0.0), ("Method", 0.5)) for s in (0, 1)}
    table = medical.score_table(results)
    fig, data = plots.medical_diagnosis(table, medical.consequences(results, table, n_boot=20),
                                        threshold_note=medical.describe_rule())
    assert len(fig.axes) == 4
    assert {"AUC per group, train", "AUC per group, test", "TPR gap", "test AUC change vs ERM"} == set(data.panel)
    plt.close(fig)
    fig, shown = plots.xray_examples(make_synthetic_xray(XrayConfig(**SMALL)), per_cell=2)
    assert len(shown) == 8 and set(shown.group) == {"male", "female"}
    plt.close(fig)


def test_profiles_build_valid_configs():
    smoke = medical.experiment_config("smoke", sensitive="age")
    assert smoke.dataset == "synthetic_xray" and smoke.data["sensitive"] == "age" and smoke.data["image_size"] == 16
    default = medical.experiment_config("default", finding="cardiomegaly", data={"n_train": 500}, epochs=3)
    assert default.data["target"] == "cardiomegaly" and default.data["n_train"] == 500 and default.epochs == 3
    paper = medical.experiment_config("paper", finding="effusion")
    assert (paper.dataset, paper.model, paper.device) == ("chexpert", "densenet121", "auto")
    assert paper.data["target"] == "Pleural Effusion" and paper.data["image_size"] == 64
    configs = medical.method_configs(smoke, {"ERM": {"method": "erm"},
                                             "EOpp": {"method": "equal_opportunity_penalty", "weight": 1.0}}, [0, 1])
    assert set(configs) == {("ERM", 0), ("ERM", 1), ("EOpp", 0), ("EOpp", 1)}
    assert configs[("EOpp", 1)].seed == 1 and configs[("EOpp", 1)].method_params == {"weight": 1.0}
    with pytest.raises(ValueError, match="Unknown fairness method"):
        medical.method_configs(smoke, {"X": {"method": "nope"}})


def test_fast_auc_matches_sklearn_with_ties():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    target = (rng.random(500) < 0.3).astype(int)
    score = np.round(rng.random(500) * 0.5 + 0.5 * target, 1)  # many ties
    assert medical._auc(target, score) == pytest.approx(roc_auc_score(target, score))
    assert np.isnan(medical._auc(np.ones(5, int), score[:5]))


def test_anatomy_knobs_scale_the_sex_and_age_terms():
    default = attributes()
    # equal prevalences: AP films (shorter lungs, larger CTR) follow the finding, so unequal ones differ by sex too
    none = attributes(sex_anatomy=0.0, breast_shadows=0.0, age_anatomy=0.0, prevalence=(0.25, 0.25))
    women = default["female"] == 1
    assert default["thorax"][women].mean() < default["thorax"][~women].mean() - 0.06
    assert default["breast"][women].min() >= 0.5 and (default["breast"][~women] == 0).all()
    assert (none["breast"] == 0).all()
    for key in ("thorax", "lung_height", "ctr", "bone"):
        w, m = none[key][none["female"] == 1], none[key][none["female"] == 0]
        assert abs(w.mean() - m.mean()) < 4 * np.sqrt(w.var() / len(w) + m.var() / len(m)), key
        o, y = none[key][none["older"] == 1], none[key][none["older"] == 0]
        assert abs(o.mean() - y.mean()) < 4 * np.sqrt(o.var() / len(o) + y.var() / len(y)), key
    devices = none["device"]
    assert abs(none["pacemaker"][devices & (none["older"] == 1)].mean() - 0.2) < 0.03
    half = attributes(breast_shadows=0.5)
    np.testing.assert_allclose(half["breast"], 0.5 * default["breast"])
