"""Notebook 06's claims: does each method's TPR gap between groups grow from the training to new patients,
and does each method change a group's AUC on new patients relative to ERM? Both are paired: the gap within
each run (the same threshold on both splits), the AUC change by seed (method and ERM at the same seed).
New patients are the generator's population where the X-rays are generated, the test split where they are
real (``fairgap.generalisation.held_out_split``); the claims name which.

Input: ``fairgap.medical.score_table``: rows (method, seed, split, group, metric, value) at each run's
validation-chosen threshold; the TPR gap is the metric ``equal_opportunity_difference`` of group "all".
"""

from __future__ import annotations

import pandas as pd

from ..evidence import LITTLE, SHOWN, claim, claims_table, fmt, fmt_claim, fmt_mean, paired
from ..generalisation import finite_test_prose, held_out_split, finite_test_error

GAP = "equal_opportunity_difference"
INTERPOLATING_AUC = 0.99   # a run whose training AUC reaches this in every group fits its training set


def _per_seed(table: pd.DataFrame, split: str, metric: str, group: str = "all") -> pd.DataFrame:
    rows = table[(table.split == split) & (table.metric == metric) & (table.group == group)]
    return rows[["method", "seed", "value"]]


def auc_change_claim(table: pd.DataFrame, method: str, group: str, reference: str = "ERM"):
    """'<method>: <group>'s <held-out> AUC differs from <reference>'s' — shown when the 95% interval of the
    paired change excludes 0 (either side; the estimate's sign says which)."""
    held = held_out_split(table)
    change = paired(_per_seed(table, held, "auc", group), "method", method, reference)
    direction = "<" if change.mean() < 0 else ">"
    return claim(f"{method}: {group}'s {held} AUC differs from {reference}'s",
                 f"{held} AUC ({group}): {method} − {reference} (same seed)", change, direction=direction)


def medical_claims(table: pd.DataFrame, reference: str = "ERM") -> pd.DataFrame:
    """The claims table of notebook 06:

    * every method: held-out TPR gap − train TPR gap > 0 (the same run and threshold);
    * every method other than ``reference``: its held-out TPR gap − the reference's > −``LITTLE`` (it buys
      little fairness on new patients) and < 0 (it buys some), paired by seed;
    * every method other than ``reference``, per group: held-out AUC − the reference's at the same seed ≠ 0.
    Held out: the population where the runs have one, else the test split.
    """
    methods = list(dict.fromkeys(table.method))
    if reference not in methods:
        raise ValueError(f"No {reference!r} runs among the methods ({', '.join(methods)}); the AUC changes are "
                         "relative to it. Add it to `methods` or set `reference` to one of them.")
    groups = [g for g in dict.fromkeys(table.group) if g != "all"]
    held = held_out_split(table)
    claims = []
    for method in methods:
        mine = pd.concat([_per_seed(table, split, GAP).assign(split=split) for split in (held, "train")])
        gap = paired(mine[mine.method == method], "split", held, "train")
        claims.append(claim(f"{method}: TPR gap larger on {held} than on training patients",
                            f"TPR gap at the validation threshold: {held} − train (same run)", gap))
    for method in methods:
        if method != reference:
            change = paired(_per_seed(table, held, GAP), "method", method, reference)
            claims.append(claim(f"{method}: {held} TPR gap − {reference}'s > −{LITTLE}",
                                f"TPR gap on {held} patients: {method} − {reference} (same seed); above −{LITTLE} "
                                f"means the method buys less than {LITTLE} of fairness on new patients",
                                change, ">", -LITTLE))
            claims.append(claim(f"{method}: lower {held} TPR gap than {reference}",
                                f"TPR gap on {held} patients: {method} − {reference} (same seed)", change, "<"))
            claims += [auc_change_claim(table, method, group, reference) for group in groups]
    return claims_table(claims)


def _listing(rows: pd.DataFrame) -> str:
    return "; ".join(f"{row.claim.split(':')[0]} {fmt_claim(row)}" for _, row in rows.iterrows()) or "none"


def findings(table: pd.DataFrame, claims: pd.DataFrame, changes: pd.DataFrame, halfwidth: dict[str, float],
             reference: str = "ERM") -> str:
    """'What you see' in notebook 06, every number from the score table, the claims, ``medical.consequences``
    and ``medical.sampling_halfwidth``."""
    methods = list(dict.fromkeys(table.method))
    groups = [g for g in dict.fromkeys(table.group) if g != "all"]
    held = held_out_split(table)

    def auc(method, split):
        return ", ".join(f"{g} {fmt_mean(_per_seed(table[table.method == method], split, 'auc', g).value)}"
                         for g in groups)

    def gap(method, split):
        return fmt_mean(_per_seed(table[table.method == method], split, GAP).value)

    lines = ["* **Training images.** " + "; ".join(f"{m}: AUC {auc(m, 'train')}, TPR gap {gap(m, 'train')}"
                                                  for m in methods) + "."]
    lines.append("* **Test images.** " + "; ".join(f"{m}: AUC {auc(m, 'test')}, TPR gap {gap(m, 'test')}"
                                                   for m in methods) + ".")
    if held != "test":
        size = int(table[(table.split == held) & (table.metric == "n") & (table.group == "all")].value.max())
        lines.append(f"* **The population ({size:,} fresh patients from the same generator, the same for every seed).** "
                     + "; ".join(f"{m}: AUC {auc(m, held)}, TPR gap {gap(m, held)}" for m in methods) + ".")
    larger = claims[claims.claim.str.endswith(f"TPR gap larger on {held} than on training patients")]
    lines.append(f"* **{held.capitalize()} TPR gap − train TPR gap > 0** (same run and threshold): shown for "
                 f"{_listing(larger[larger.verdict == SHOWN])}. Not shown for {_listing(larger[larger.verdict != SHOWN])}.")
    train_auc = table[(table.split == "train") & (table.metric == "auc") & table.group.isin(groups)]
    lowest = train_auc.groupby(["method", "group"]).value.mean().groupby("method").min()
    fitted = [m for m in methods if lowest.get(m, 0) >= INTERPOLATING_AUC]
    not_fitted = [f"{m} (lowest group training AUC {lowest[m]:.2f})" for m in methods if m not in fitted]
    lines.append(f"* **Which runs fit their training images** (mean training AUC ≥ {INTERPOLATING_AUC} in every "
                 f"group): {', '.join(fitted) or 'none'}; not fitted: {', '.join(not_fitted) or 'none'}.")
    auc_claims = claims[claims.claim.str.contains(f"{held} AUC differs from {reference}'s")]
    raised = auc_claims[(auc_claims.verdict == SHOWN) & (auc_claims.estimate > 0)]
    lowered = auc_claims[(auc_claims.verdict == SHOWN) & (auc_claims.estimate < 0)]
    name = lambda row: row.claim.split(":")[0] + " (" + row.claim.split(": ")[1].split("'s")[0] + ")"  # noqa: E731
    listing = lambda rows: "; ".join(f"{name(r)} {fmt_claim(r)}" for _, r in rows.iterrows()) or "none"  # noqa: E731
    lines.append(f"* **Unintended consequences, {held} AUC vs {reference}** (same seed): raised for {listing(raised)}; "
                 f"lowered for {listing(lowered)}; no change shown for "
                 f"{listing(auc_claims[auc_claims.verdict != SHOWN])}.")
    tpr = changes[changes.metric == "TPR"]
    if len(tpr):
        lines.append(f"* **{held.capitalize()} TPR vs {reference}** at each run's own threshold (mean change, 95% interval "
                     "over seeds): "
                     + "; ".join(f"{r.method} ({r.group}) {fmt(r.change, r.seed_low, r.seed_high)}"
                                 for r in tpr.itertuples()) + ".")
    lines.append("* **Test-set sampling alone** moves a group's test TPR by up to ± "
                 + ", ".join(f"{value:.2f} ({group})" for group, value in halfwidth.items())
                 + f" (95%, at TPR = 0.5, over the group's test patients with the finding); the changes table gives "
                   f"both intervals, over seeds and over {held} patients.")
    lines.append("* " + finite_test_prose(finite_test_error(table, GAP, by=("method", "seed")), "TPR gap"))
    return "\n".join(lines)
