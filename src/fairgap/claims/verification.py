"""Notebook 05's claims: is each run's verification gap between groups larger on unseen identities than on
the training photos, and does any fairness-promoting method leave a smaller unseen-identity gap than the
plain margin loss? Both are paired by seed (a method's run and the plain run of the same seed share the
evaluation pairs).

Input: ``fairgap.verification.experiments.final_table``: one row per run (method, weight, seed), split and
group, with the metric columns ``tar_group@<far>``, ``tar_global@<far>``, ``far_global@<far>`` and ``eer``;
the rows with group ``"gap"`` hold the largest minus the smallest group value.
"""

from __future__ import annotations

import pandas as pd

from ..evidence import SHOWN, claim, claims_table, fmt, fmt_claim, fmt_mean, seed_difference, t_interval

PLAIN = "none"
SPLITS = {"train": "training photos", "val": "new photos of the training identities", "test": "unseen identities"}


def metric_name(metric: str) -> str:
    """'tar_group@0.001' -> 'TAR@0.001', 'eer' -> 'EER'."""
    return metric.split("_")[0].upper() + ("@" + metric.split("@")[1] if "@" in metric else "")


def run_label(method: str, weight: float) -> str:
    return method if weight == 0 else f"{method}, w={weight:g}"


def _settings(final: pd.DataFrame) -> list[tuple[str, float, str]]:
    """(method_id, weight, readable label) of every run setting, the plain margin loss first."""
    settings = final[["method_id", "weight", "method"]].drop_duplicates()
    settings = settings.assign(plain=settings.method_id != PLAIN).sort_values(["plain"], kind="stable")
    return [(m, float(w), run_label(name, w)) for m, w, name in zip(settings.method_id, settings.weight, settings.method)]


def _values(final: pd.DataFrame, method_id: str, weight: float, split: str, group: str, metric: str) -> pd.Series:
    """Per seed: ``metric`` of one run setting on one split and group."""
    rows = final[(final.method_id == method_id) & (final.weight == weight) & (final.split == split)
                 & (final.group == group)]
    return rows.set_index("seed")[metric]


def default_metrics(far: float) -> tuple[str, str]:
    return f"tar_group@{far:g}", "eer"


def verification_claims(final: pd.DataFrame, far: float = 1e-3, metrics=None) -> pd.DataFrame:
    """The claims table of notebook 05, for each metric (default: TAR at ``far`` with per-group thresholds,
    and the EER):

    * every run setting: the gap between groups on unseen identities − on the training photos > 0;
    * every fairness-promoting setting: its unseen-identity gap − the plain margin loss's < 0;
    * every fairness-promoting setting: the change of the gap it makes (vs the margin loss, same seed) on the
      training photos minus the change on unseen identities < 0: it equalises what it trains on more than
      what it has not seen (the paper's claim, as a difference of paired differences).
    """
    metrics = metrics or default_metrics(far)
    missing = [m for m in metrics if m not in final.columns]
    if missing:
        raise ValueError(f"The final table has no column(s) {missing} (columns: {', '.join(final.columns)}); "
                         "pass fv.final_table(results, far=far) with the same far.")
    settings = _settings(final)
    if not settings or settings[0][0] != PLAIN:
        raise ValueError("The final table has no plain margin-loss runs (method 'none'); they are the reference.")
    claims = []
    for method_id, weight, label in settings:
        for metric in metrics:
            gap = seed_difference(_values(final, method_id, weight, "test", "gap", metric),
                                  _values(final, method_id, weight, "train", "gap", metric))
            claims.append(claim(f"{label}: {metric_name(metric)} gap larger on unseen identities than on training photos",
                                f"{metric_name(metric)} gap: unseen identities − training photos (same run)", gap))
    for method_id, weight, label in settings[1:]:
        for metric in metrics:
            change = seed_difference(_values(final, method_id, weight, "test", "gap", metric),
                                     _values(final, PLAIN, 0.0, "test", "gap", metric))
            claims.append(claim(f"{label}: smaller {metric_name(metric)} gap on unseen identities than the margin loss alone",
                                f"{metric_name(metric)} gap on unseen identities: method − margin loss only (same seed)",
                                change, direction="<"))
            on_train = seed_difference(_values(final, method_id, weight, "train", "gap", metric),
                                       _values(final, PLAIN, 0.0, "train", "gap", metric))
            claims.append(claim(f"{label}: {metric_name(metric)} gap reduction vs the margin loss is larger on training "
                                "photos than on unseen identities",
                                f"{metric_name(metric)} gap, method − margin loss (same seed): on training photos − on "
                                "unseen identities", seed_difference(on_train, change), direction="<"))
    return claims_table(claims)


def group_changes(final: pd.DataFrame, metric: str, split: str = "test") -> pd.DataFrame:
    """Each group's ``metric`` under each fairness-promoting setting minus under the plain margin loss of the same
    seed, on ``split``: mean, 95% t-interval over seeds, n, and the plain value."""
    rows = []
    groups = [g for g in dict.fromkeys(final.group) if g != "gap"]
    for method_id, weight, label in _settings(final)[1:]:
        for group in groups:
            plain = _values(final, PLAIN, 0.0, split, group, metric)
            change = seed_difference(_values(final, method_id, weight, split, group, metric), plain).dropna()
            low, high = t_interval(change)
            rows.append({"run": label, "group": group, "plain": float(plain.mean()), "change": float(change.mean()),
                         "lower": low, "upper": high, "n": len(change)})
    return pd.DataFrame(rows, columns=["run", "group", "plain", "change", "lower", "upper", "n"])


def _listing(rows: pd.DataFrame, name) -> str:
    if rows.empty:
        return "none"
    return "; ".join(f"{name(row)} {fmt_claim(row)}" for _, row in rows.iterrows())


def findings(final: pd.DataFrame, claims: pd.DataFrame, far: float = 1e-3, probes: pd.DataFrame | None = None) -> str:
    """'What you see' in notebook 05, every number computed from the final table, the claims and the probes."""
    tar, eer = default_metrics(far)
    groups = [g for g in dict.fromkeys(final.group) if g != "gap"]
    plain = final[final.method_id == PLAIN]

    def per_group(split: str, metric: str, digits: int = 2) -> str:
        return ", ".join(f"{g} {fmt_mean(plain[(plain.split == split) & (plain.group == g)][metric], digits)}"
                         for g in groups)

    def gap(split: str, metric: str, digits: int = 2) -> str:
        return fmt_mean(plain[(plain.split == split) & (plain.group == "gap")][metric], digits)

    gaps = final[final.group == "gap"].groupby(["method_id", "weight", "split"])[[tar, eer]].mean()
    train_gaps = gaps.xs("train", level="split")
    lines = [
        f"* **Training photos.** Margin loss alone: {metric_name(tar)} gap {gap('train', tar)}, EER gap "
        f"{gap('train', eer, 3)}; over all runs the mean training-photo {metric_name(tar)} gap lies between "
        f"{train_gaps[tar].min():.2f} and {train_gaps[tar].max():.2f} and the EER gap between "
        f"{train_gaps[eer].min():.3f} and {train_gaps[eer].max():.3f}. {metric_name(tar)} per group: {per_group('train', tar)}.",
        f"* **New photos of the training identities.** Margin loss alone: {metric_name(tar)} per group "
        f"{per_group('val', tar)} (gap {gap('val', tar)}); EER per group {per_group('val', eer, 3)} "
        f"(gap {gap('val', eer, 3)}).",
        f"* **Unseen identities.** Margin loss alone: {metric_name(tar)} per group {per_group('test', tar)} "
        f"(gap {gap('test', tar)}); EER per group {per_group('test', eer, 3)} (gap {gap('test', eer, 3)}).",
    ]
    larger = claims[claims.claim.str.contains("larger on unseen identities")]
    name = lambda row: f"{row.claim.split(':')[0]} ({row.statistic.split(' gap')[0]})"  # noqa: E731
    lines.append(f"* **Unseen − training-photo gap > 0** (paired within each run): shown for "
                 f"{_listing(larger[larger.verdict == SHOWN], name)}. Not shown for "
                 f"{_listing(larger[larger.verdict != SHOWN], name)}.")
    smaller = claims[claims.claim.str.contains("on unseen identities than the margin loss alone")]
    above = smaller[(smaller.n > 1) & (smaller.lower > 0)]
    lines.append(f"* **A smaller unseen-identity gap than the margin loss alone** (method − plain, same seed): shown "
                 f"for {_listing(smaller[smaller.verdict == SHOWN], name)}. Not shown for "
                 f"{_listing(smaller[smaller.verdict != SHOWN], name)}"
                 + (f"; of these, a *larger* gap (interval above 0) for {', '.join(map(name, above.itertuples()))}."
                    if len(above) else "."))
    changes = group_changes(final, eer)
    if len(changes):
        better = min(groups, key=lambda g: plain[(plain.split == "test") & (plain.group == g)][eer].mean())
        worse = [g for g in groups if g != better]
        level = [run for run, part in changes.groupby("run", sort=False)
                 if (part.n > 1).all() and (part[part.group == better].lower > 0).all()
                 and (part[part.group.isin(worse)].upper >= 0).all()]
        text = "; ".join(f"{run}: " + ", ".join(f"{r.group} {fmt(r.change, r.lower, r.upper, 3)}"
                                                 for r in part.itertuples())
                         for run, part in changes.groupby("run", sort=False))
        lines.append(f"* **Which group moved** (unseen-identity EER minus the margin loss alone's, same seed; "
                     f"{better} is the better-verified group): {text}. Leveling down (the {better} group's EER "
                     f"rises, interval above 0, while no other group's falls): {', '.join(level) or 'none'}.")
    far_metric = f"far_global@{far:g}"
    if far_metric in final.columns:
        lines.append(f"* **One global threshold** (set at FAR = {far:g} over all impostor pairs), margin loss alone, "
                     f"unseen identities: each group's FAR {per_group('test', far_metric, 4)}.")
    if probes is not None and len(probes):
        parts = []
        for method, rows in probes.groupby(level="method", sort=False):
            accuracy, auc = rows[("test", "accuracy")], rows[("test", "auc")]
            parts.append(f"{method}: accuracy {fmt_mean(accuracy)}, AUC {fmt_mean(auc)}")
        majority = probes[("test", "majority_accuracy")].mean()
        lines.append(f"* **What the embeddings reveal** (a logistic-regression probe of the group fitted on the training "
                     f"photos' embeddings, scored on unseen identities; majority-class accuracy {majority:.2f}): "
                     + "; ".join(parts) + ".")
    return "\n".join(lines)
