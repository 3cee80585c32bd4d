"""The collection's primary claims, declared before anything runs: at most three per notebook.

Each entry is the start of a claim's text in that notebook's claims table. These claims could fail,
rest on at least 10 seeds or splits in the default profile (``PRIMARY_SETTINGS`` names the settings
that run at the primary seeds), and are "shown" only when their Holm-adjusted p-value over all the
claims below is under 0.025 (``fairgap.evidence.adjust_collection``). Every other claim is
exploratory. Changing this list after seeing results defeats its purpose: the git history of this
file is the record of what was declared when.
"""

from __future__ import annotations

# In a prefix, stands for the split that measured generalisation: "population" where the data are
# generated (the generator's fresh sample), "test" where they are real (fairgap.generalisation).
HELD_OUT = "{held-out}"

PRIMARY: dict[str, tuple[str, ...]] = {
    # Paper: classical models keep a constraint, networks do not. Paired by split (10 random splits).
    "00_classical_vs_deep": (
        "adult: MLP + EO penalty's gap exceeds linear + EO penalty's",
        "adult: MLP + EO penalty's gap exceeds logistic regression + EG (EO)'s",
        "faces: MLP + EO penalty's gap exceeds logistic regression + EG (EO)'s",
    ),
    # Paper: a constraint that holds on the training set buys little fairness on held-out data. Issue 21's
    # mechanism: interpolation switches off every error-rate constraint but not demographic parity when the
    # groups' base rates differ, so the DP penalty should buy at least 0.05 of held-out demographic parity.
    "01_fairness_overfits": (
        f"FairALM: {HELD_OUT} disparity − ERM's > −0.05",
        f"DP penalty: {HELD_OUT} demographic parity difference − ERM's < −0.05",
    ),
    # Paper: stronger constraints buy little test fairness and level down.
    "02_constraint_strength": (
        f"equalized_odds_max_penalty: {HELD_OUT} disparity − ERM's > −0.05",
        "leveling down (equalized_odds_max_penalty): the better-off group",
        "leveling down (equalized_odds_max_penalty): the worse-off group",
    ),
    # Paper: the constraint generalises in small models, not in interpolating ones.
    "03_model_capacity": (
        "EO penalty λ=0.3: gap at interpolating widths",
    ),
    # The gap closes with more training data.
    "04_training_set_size": (
        "EO penalty λ=0.3: gap at the smallest training set",
    ),
    # A fairness-promoting embedding loss equalises unseen identities less than training identities.
    "05_face_verification": (
        "loss-gap penalty, w=1: TAR@0.001 gap reduction vs the margin loss is larger on training photos",
    ),
    # Medical imaging: the constrained model is not fairer on test patients than ERM.
    "06_medical_diagnosis": (
        "EOpp penalty λ=1: {held-out} TPR gap − ERM's > −0.05",
    ),
    # Remedies that use held-out data lower the constrained network's held-out disparity.
    "07_remedies": (
        f"+ early stopping on val disparity: lower {HELD_OUT} disparity than constrained",
        f"+ fairness term on held-out data: lower {HELD_OUT} disparity than constrained",
        f"last-layer retraining on held-out data: lower {HELD_OUT} disparity than constrained",
    ),
    # Capacity, not family (issue 22): within a family the gap grows with capacity; across families the gap
    # follows training fit, and being a network adds at most 0.02 once training fit is accounted for.
    # Adult, paired or regressed per random split (10 splits).
    "08_capacity_not_family": (
        "adult: decision tree, DP constraint: gap at the highest capacity − at the lowest",
        "adult: the gap rises with training accuracy",
        "adult: being a network adds at most 0.02 to the gap",
    ),
}

# The settings (labels) whose runs use the profile's primary seeds (10 in the default profile); every
# other setting uses the profile's seeds. Notebook 02 runs every weight of its equalized-odds penalty at the
# primary seeds (the weights its claims test are chosen from the results), and ERM, their reference;
# notebook 00's and 08's Adult splits are all primary.
PRIMARY_SETTINGS: dict[str, tuple] = {
    "01_fairness_overfits": ("ERM", "FairALM", "DP penalty"),
    "02_constraint_strength": ("erm", "equalized_odds_max_penalty"),
    "03_model_capacity": ("EO penalty λ=0.3",),
    "04_training_set_size": ("EO penalty λ=0.3",),
    "05_face_verification": (("none", 0.0), ("loss_gap", 1.0)),
    "06_medical_diagnosis": ("ERM", "EOpp penalty λ=1"),
    # The control (fairgap.remedies.CONTROL) is compared with the held-out remedies, paired by seed.
    "07_remedies": ("constrained", "+ early stopping on val disparity", "+ fairness term on held-out data",
                    "last-layer retraining on held-out data", "control (constrained on train + validation)"),
}


def declared_counts() -> dict[str, int]:
    """Notebook -> number of primary claims it declares (what Holm counts for a notebook not yet run)."""
    return {notebook: len(prefixes) for notebook, prefixes in PRIMARY.items()}


def seeds_for(notebook: str, label, seeds: list[int], primary_seeds: list[int]) -> list[int]:
    """The seeds of one setting: ``primary_seeds`` when it is behind a primary claim, else ``seeds``."""
    return list(primary_seeds) if label in PRIMARY_SETTINGS.get(notebook, ()) else list(seeds)


def describe(notebook: str) -> str:
    """The notebook's declared primary claims as a Markdown list (shown before anything runs)."""
    prefixes = PRIMARY.get(notebook, ())
    if not prefixes:
        return "This notebook declares no primary claim: every claim it makes is exploratory."
    items = "\n".join(f"* {p.replace(HELD_OUT, 'population (test, on real data)')} …" for p in prefixes)
    return (f"**Primary claims, declared before the runs** ({len(prefixes)} of the collection's "
            f"{sum(declared_counts().values())}; shown only when their Holm-adjusted p-value over all of them is "
            f"below 0.025):\n\n{items}\n\nEvery other claim in this notebook is exploratory: a description of "
            "these runs, unadjusted for the many claims made.")
