"""Notebook 05's claims, on small constructed final tables with a known answer."""

import pandas as pd
import pytest

from fairgap.studies.f5_verification import findings, group_changes, verification_claims
from fairgap.evidence import NOT_SHOWN, SHOWN

TAR, EER = "tar_group@0.001", "eer"
NOISE = (-0.1, 0.12, -0.08, 0.09, -0.02)
NAMES = {"none": "margin loss only", "loss_gap": "loss-gap penalty", "adversarial": "adversarial"}


def final_table(seeds=range(5)) -> pd.DataFrame:
    """fv.final_table's format. Every run fits its training photos (TAR 1, EER 0 for both groups).
    Unseen identities: the plain loss leaves the darker group behind; the loss-gap penalty narrows the gap at
    every seed by making the lighter group worse (leveling down); the adversary's gap moves either way."""
    rows = []

    def add(method_id, weight, seed, split, lighter, darker):
        for group, (tar, eer) in (("lighter", lighter), ("darker", darker)):
            rows.append(dict(method=NAMES[method_id], method_id=method_id, weight=weight, seed=seed, split=split,
                             group=group, **{TAR: tar, EER: eer, "far_global@0.001": 0.001}))
        rows.append(dict(method=NAMES[method_id], method_id=method_id, weight=weight, seed=seed, split=split,
                         group="gap", **{TAR: abs(lighter[0] - darker[0]), EER: abs(lighter[1] - darker[1]),
                                         "far_global@0.001": 0.0}))

    for seed in seeds:
        s = 0.01 * seed
        for method_id, weight in (("none", 0.0), ("loss_gap", 0.3), ("adversarial", 1.0)):
            add(method_id, weight, seed, "train", (1.0, 0.0), (1.0, 0.0))
            add(method_id, weight, seed, "val", (0.5, 0.05), (0.2, 0.1))
        add("none", 0.0, seed, "test", (0.5 + s, 0.05), (0.2, 0.10 + s))
        add("loss_gap", 0.3, seed, "test", (0.4 + s, 0.07), (0.2, 0.10 + s))
        add("adversarial", 1.0, seed, "test", (0.5 + s + NOISE[seed], 0.05), (0.2, 0.10 + s + NOISE[seed] / 10))
    return pd.DataFrame(rows)


def verdicts(claims: pd.DataFrame) -> dict:
    return claims.set_index("claim").verdict.to_dict()


def test_verification_claims_find_the_effect_that_is_there_and_not_the_one_that_is_not():
    claims = verification_claims(final_table())
    v = verdicts(claims)
    for run in ("margin loss only", "loss-gap penalty, w=0.3", "adversarial, w=1"):
        assert v[f"{run}: TAR@0.001 gap larger on unseen identities than on training photos"] == SHOWN
        assert v[f"{run}: EER gap larger on unseen identities than on training photos"] == SHOWN
    assert v["loss-gap penalty, w=0.3: smaller TAR@0.001 gap on unseen identities than the margin loss alone"] == SHOWN
    assert v["adversarial, w=1: smaller TAR@0.001 gap on unseen identities than the margin loss alone"] == NOT_SHOWN
    row = claims.set_index("claim").loc["loss-gap penalty, w=0.3: smaller TAR@0.001 gap on unseen identities than "
                                        "the margin loss alone"]
    assert row.estimate == pytest.approx(-0.1) and row.n == 5
    # per run and metric: unseen vs training photos and vs new photos; per method and metric: vs the plain loss, and
    # the training photos' and the new photos' change vs the unseen identities'
    assert len(claims) == 3 * 2 * 2 + 2 * 2 * 3
    beyond = claims.set_index("claim").loc["margin loss only: TAR@0.001 gap larger on unseen identities than on new "
                                           "photos of the training identities by more than 0.05"]
    # unseen 0.3 + 0.01·seed against new photos' 0.3: 0.02 on average, under the 0.05 it must exceed
    assert beyond.estimate == pytest.approx(0.02) and beyond.null == pytest.approx(0.05) and beyond.verdict == NOT_SHOWN
    new_photos = claims.set_index("claim").loc["loss-gap penalty, w=0.3: TAR@0.001 gap reduction vs the margin loss is "
                                               "larger on new photos of training identities than on unseen identities"]
    assert new_photos.estimate == pytest.approx(0.1) and new_photos.verdict == NOT_SHOWN   # new photos: no change
    # the penalty narrows the unseen gap (-0.1) while the training gap is 0 either way: it did not equalise the
    # training photos more than the unseen identities
    sharper = claims.set_index("claim").loc["loss-gap penalty, w=0.3: TAR@0.001 gap reduction vs the margin loss is "
                                            "larger on training photos than on unseen identities"]
    assert sharper.estimate == pytest.approx(0.1) and sharper.verdict == NOT_SHOWN


def test_one_seed_shows_nothing_and_bad_tables_are_refused():
    assert set(verification_claims(final_table(seeds=[0])).verdict) == {NOT_SHOWN}
    with pytest.raises(ValueError, match="no plain margin-loss runs"):
        verification_claims(final_table().query("method_id != 'none'"))
    with pytest.raises(ValueError, match="same far"):
        verification_claims(final_table(), far=0.01)


def test_group_changes_and_findings_name_the_leveling_down():
    final = final_table()
    changes = group_changes(final, EER).set_index(["run", "group"])
    assert changes.loc[("loss-gap penalty, w=0.3", "lighter"), "change"] == pytest.approx(0.02)
    assert changes.loc[("loss-gap penalty, w=0.3", "darker"), "change"] == pytest.approx(0.0)
    text = findings(final, verification_claims(final))
    assert "Leveling down (the lighter group's EER rises, interval above 0, while no other group's falls): " \
           "loss-gap penalty, w=0.3." in text
    assert "shown for loss-gap penalty, w=0.3 (TAR@0.001) -0.10 [-0.10, -0.10] (n = 5, shown)" in text
    # each comparison of unseen people has its own line: against the training photos, against their new photos
    photos = next(line for line in text.splitlines() if line.startswith("* **Unseen − training-photo gap > 0**"))
    new = next(line for line in text.splitlines() if line.startswith("* **Unseen − new-photo gap > 0.05**"))
    assert "margin loss only (TAR@0.001) 0.32 [" in photos and "0.32 [" not in new
    assert "margin loss only (TAR@0.001) 0.02 [" in new and "0.02 [" not in photos
    one = findings(final_table(seeds=[0]), verification_claims(final_table(seeds=[0])))
    assert "Leveling down (the lighter group's EER rises, interval above 0, while no other group's falls): none" in one


def test_notebook_05_runs_several_seeds_by_default_and_one_in_smoke():
    from fairgap.studies import f5_verification as fv

    assert fv.profile_seeds("smoke") == [0]
    assert len(set(fv.profile_seeds("default"))) >= 3 and len(set(fv.profile_seeds("paper"))) >= 3


def test_the_verification_floor_is_drawn_and_kept_with_the_gaps():
    """Generated identities: the latents name each photo's person, so every gap's Bayes floor is 0 (drawn and kept
    in the figure's data); real identities have none."""
    import matplotlib.pyplot as plt

    from fairgap.data.bayes import verification_floor
    from fairgap.plots import f5_verification as plots

    assert verification_floor("synthetic_identities") == 0.0 and verification_floor("celeba_identities") is None
    history = pd.DataFrame([dict(method=NAMES[m], method_id=m, weight=w, seed=s, epoch=e, split=split, group="all",
                                 metric="eer_gap", value=0.1 * e + 0.01 * s)
                            for m, w in (("none", 0.0), ("loss_gap", 0.3)) for s in range(3) for e in (1, 2)
                            for split in ("train", "val", "test")])
    for draw in (plots.verification_gap_over_epochs, plots.verification_gap_vs_weight):
        fig, drawn = draw(history, metrics=("eer_gap",), floor=0.0)
        floor_rows = drawn[drawn.split == "bayes floor"]
        assert floor_rows.metric.tolist() == ["eer_gap"] and floor_rows.value.tolist() == [0.0]
        assert all(any(line.get_label() == "Bayes floor (generator)" for line in ax.lines) for ax in fig.axes)
        plt.close(fig)
        fig, drawn = draw(history, metrics=("eer_gap",))
        assert "bayes floor" not in set(drawn.split) and not any(l.get_label().startswith("Bayes") for l in fig.axes[0].lines)
        plt.close(fig)
