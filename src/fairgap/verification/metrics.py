"""Verification metrics on genuine and impostor pairs, per sensitive group, computed with sklearn's roc_curve.

A pair of images is *genuine* if both show the same identity and an *impostor* pair otherwise;
its score is the cosine similarity of the two embeddings, and a system accepts a pair when the
score reaches a threshold t. For a set of pairs:

* TAR(t) = share of genuine pairs accepted (true accept rate), FAR(t) = share of impostor
  pairs accepted (false accept rate); the ROC curve is TAR against FAR over all t.
* ``tar@far=f``: the largest TAR at a threshold whose FAR is at most f (the ROC read at f,
  without interpolation), i.e. the lowest threshold t with FAR(t) <= f.
* ``eer``: the equal error rate, where FAR = 1 - TAR, linearly interpolated between the two ROC
  points that bracket the crossing.

Per-group metrics use the genuine pairs of the group and impostor pairs *within* the group
(two different people of the same group: the hard impostors, and the ones that differ between
groups). Two ways to set the threshold, both reported:

* ``global`` (``tar_global@f``, ``far_global@f``): one threshold for everyone, chosen so that
  the FAR over all impostor pairs (pooled over groups) is f, as a deployed system does. Each
  group then gets its own FAR, which may be far from f: ``far_global@f`` is that FAR.
* ``group`` (``tar_group@f``): each group's own threshold, at which its FAR is f.

Disparities (group ``"all"``, metric name with ``_gap``): largest minus smallest value over the
groups, e.g. ``tar_global@0.001_gap`` or ``eer_gap``. Overall rows (group ``"all"``) pool the
pairs of all groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve

FARS = (1e-2, 1e-3)
OVERALL = "all"


def _as_scores(genuine, impostor) -> tuple[np.ndarray, np.ndarray]:
    genuine, impostor = np.asarray(genuine, dtype=np.float64), np.asarray(impostor, dtype=np.float64)
    if len(genuine) == 0 or len(impostor) == 0:
        raise ValueError(f"Verification metrics need genuine and impostor pairs; got {len(genuine)} genuine and "
                         f"{len(impostor)} impostor pairs. Use more images per identity and more identities.")
    return genuine, impostor


def roc(genuine, impostor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(far, tar, threshold) of every distinct threshold, from sklearn.metrics.roc_curve."""
    genuine, impostor = _as_scores(genuine, impostor)
    labels = np.r_[np.ones(len(genuine)), np.zeros(len(impostor))]
    far, tar, thresholds = roc_curve(labels, np.r_[genuine, impostor], drop_intermediate=False)
    return far, tar, thresholds


def tar_at_far(genuine, impostor, far: float) -> tuple[float, float]:
    """(TAR, threshold) at the lowest threshold whose FAR is at most ``far``; accept when score >= threshold."""
    return _read_tar(roc(genuine, impostor), far)


def equal_error_rate(genuine, impostor) -> float:
    """EER: where the ROC crosses FAR = 1 - TAR (false accept rate = false reject rate), interpolated."""
    return _read_eer(roc(genuine, impostor))


def _read_tar(curve, far: float) -> tuple[float, float]:
    fars, tars, thresholds = curve
    index = int(np.searchsorted(fars, far, side="right")) - 1  # fars is non-decreasing and starts at 0
    return float(tars[index]), float(thresholds[index])


def _read_eer(curve) -> float:
    fars, tars, _ = curve
    difference = fars - (1.0 - tars)           # FAR - FRR rises from -1 (t = inf) to +1 (t = -inf)
    i = int(np.argmax(difference >= 0))
    if i == 0 or difference[i] == 0:
        return float(fars[i])
    t = -difference[i - 1] / (difference[i] - difference[i - 1])
    return float(fars[i - 1] + t * (fars[i] - fars[i - 1]))


def accept_rate(scores, threshold: float) -> float:
    scores = np.asarray(scores)
    return float(np.mean(scores >= threshold)) if len(scores) else float("nan")


# --- pairs ---

def sample_pairs(identity, group, max_genuine: int = 20000, max_impostor: int = 100000,
                 seed: int = 0, impostors_with_replacement: bool = False) -> pd.DataFrame:
    """Genuine and within-group impostor pairs of images (indices i < j), per group.

    Every genuine pair is kept unless a group has more than ``max_genuine``, and every impostor
    pair unless it has more than ``max_impostor``; then that many are drawn uniformly without
    replacement with the given seed. With ``impostors_with_replacement``, exactly ``max_impostor``
    impostor pairs are drawn independently and uniformly (a pair may repeat): an i.i.d. sample of the
    group's impostor scores, which a population of millions of pairs needs (enumerating or deduplicating
    them would take gigabytes). Returns columns i, j, genuine (bool), group (int).
    """
    identity, group = np.asarray(identity), np.asarray(group)
    rng = np.random.default_rng(seed)
    frames = []
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        ids = identity[members]
        genuine = _genuine_pairs(members, ids)
        if len(genuine) > max_genuine:
            genuine = genuine[np.sort(rng.choice(len(genuine), max_genuine, replace=False))]
        impostor = (_independent_impostor_pairs(members, ids, max_impostor, rng) if impostors_with_replacement
                    else _impostor_pairs(members, ids, max_impostor, rng))
        for pairs, is_genuine in ((genuine, True), (impostor, False)):
            frames.append(pd.DataFrame({"i": pairs[:, 0], "j": pairs[:, 1], "genuine": is_genuine,
                                        "group": int(g)}))
    return pd.concat(frames, ignore_index=True)


def _genuine_pairs(members: np.ndarray, ids: np.ndarray) -> np.ndarray:
    blocks = []
    order = np.argsort(ids, kind="stable")
    members, ids = members[order], ids[order]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    for start, stop in zip(starts, np.r_[starts[1:], len(ids)]):
        a, b = np.triu_indices(stop - start, k=1)
        blocks.append(np.stack([members[start + a], members[start + b]], axis=1))
    pairs = np.concatenate(blocks) if blocks else np.zeros((0, 2), dtype=np.int64)
    return np.sort(pairs, axis=1).astype(np.int64)


def _impostor_pairs(members: np.ndarray, ids: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    n = len(members)
    if n * (n - 1) // 2 <= 4 * limit:          # few enough: enumerate, then subsample
        a, b = np.triu_indices(n, k=1)
        keep = ids[a] != ids[b]
        a, b = a[keep], b[keep]
        if len(a) > limit:
            pick = np.sort(rng.choice(len(a), limit, replace=False))
            a, b = a[pick], b[pick]
    else:                                       # many: draw at random, drop same-identity and repeated pairs
        found = np.zeros((0, 2), dtype=np.int64)
        while len(found) < limit:
            draw = rng.integers(0, n, size=(2 * limit, 2))
            draw = np.sort(draw, axis=1)
            draw = draw[(draw[:, 0] != draw[:, 1]) & (ids[draw[:, 0]] != ids[draw[:, 1]])]
            found = np.unique(np.concatenate([found, draw]), axis=0)
        found = found[np.sort(rng.choice(len(found), limit, replace=False))]
        a, b = found[:, 0], found[:, 1]
    return np.stack([members[a], members[b]], axis=1).astype(np.int64)


def _independent_impostor_pairs(members: np.ndarray, ids: np.ndarray, count: int,
                                rng: np.random.Generator) -> np.ndarray:
    """``count`` impostor pairs drawn independently: two photos of different people, uniform over such pairs."""
    if len(np.unique(ids)) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    found, needed = [], count
    while needed > 0:
        draw = rng.integers(0, len(members), size=(2 * needed + 16, 2))
        draw = draw[ids[draw[:, 0]] != ids[draw[:, 1]]][:needed]
        found.append(draw)
        needed -= len(draw)
    pairs = np.sort(np.concatenate(found), axis=1)
    return members[pairs].astype(np.int64)


def pair_scores(embeddings: np.ndarray, pairs: pd.DataFrame, chunk: int = 1 << 18, dtype=np.float64) -> np.ndarray:
    """Cosine similarity of each pair (embeddings are L2-normalised here, to be safe), ``chunk`` pairs at a time
    so that millions of pairs do not gather gigabytes of embedding rows at once. ``dtype=np.float32`` halves
    the memory traffic of millions of pairs (scores then carry float32's 6e-8 relative rounding)."""
    e = np.asarray(embeddings, dtype=dtype)
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    i, j = pairs.i.to_numpy(), pairs.j.to_numpy()
    out = np.empty(len(i), dtype=dtype)
    for start in range(0, len(i), chunk):
        part = slice(start, start + chunk)
        out[part] = np.einsum("ij,ij->i", e[i[part]], e[j[part]])
    return out


# --- metrics per group ---

def roc_curves(scores: np.ndarray, pairs: pd.DataFrame) -> dict:
    """The ROC (``roc``) of every group (by group code) and of all pairs pooled (``OVERALL``), where there are
    both genuine and impostor pairs: computed once and shared by ``verification_metrics`` and ``roc_table``,
    since each sorts every score (millions on a population)."""
    scores = np.asarray(scores)
    genuine_mask, group = pairs.genuine.to_numpy(), pairs.group.to_numpy()
    parts = [(int(g), group == g) for g in np.unique(group)] + [(OVERALL, np.ones(len(group), bool))]
    curves = {}
    for name, mask in parts:
        gen, imp = scores[genuine_mask & mask], scores[~genuine_mask & mask]
        if len(gen) and len(imp):
            curves[name] = roc(gen, imp)
    return curves


def verification_metrics(scores: np.ndarray, pairs: pd.DataFrame, group_labels, fars=FARS,
                         curves: dict | None = None) -> list[dict]:
    """Tidy rows {group, metric, value}: per group, pooled ("all"), and the gaps between groups.
    ``curves``: ``roc_curves(scores, pairs)`` if already computed."""
    scores = np.asarray(scores)
    curves = roc_curves(scores, pairs) if curves is None else curves
    genuine_mask = pairs.genuine.to_numpy()
    group = pairs.group.to_numpy()
    label = lambda g: str(group_labels[int(g)])  # noqa: E731
    # The global threshold: one for everyone, from all pairs pooled over groups (as a deployed system sets it).
    pooled = curves.get(OVERALL)
    thresholds = {far: _read_tar(pooled, far)[1] for far in fars} if pooled is not None else {}
    rows, per_group = [], {}
    for g in np.unique(group):
        gen, imp = scores[genuine_mask & (group == g)], scores[~genuine_mask & (group == g)]
        values = {"n_genuine": float(len(gen)), "n_impostor": float(len(imp)),
                  "genuine_similarity": float(gen.mean()) if len(gen) else float("nan"),
                  "impostor_similarity": float(imp.mean()) if len(imp) else float("nan")}
        if len(gen) and len(imp):
            curve = curves[int(g)]
            values["eer"] = _read_eer(curve)
            for far in fars:
                values[f"tar_global@{far:g}"] = accept_rate(gen, thresholds[far])
                values[f"far_global@{far:g}"] = accept_rate(imp, thresholds[far])
                values[f"tar_group@{far:g}"] = _read_tar(curve, far)[0]
        per_group[label(g)] = values
        rows += [{"group": label(g), "metric": m, "value": v} for m, v in values.items()]
    if pooled is not None:
        rows.append({"group": OVERALL, "metric": "eer", "value": _read_eer(pooled)})
        for far in fars:
            rows.append({"group": OVERALL, "metric": f"tar_global@{far:g}", "value": _read_tar(pooled, far)[0]})
            rows.append({"group": OVERALL, "metric": f"threshold@{far:g}", "value": thresholds[far]})
    gap_metrics = ["eer"] + [f"{kind}@{far:g}" for far in fars for kind in ("tar_global", "tar_group", "far_global")]
    for metric in gap_metrics:
        values = [v[metric] for v in per_group.values() if metric in v]
        if len(values) >= 2:
            rows.append({"group": OVERALL, "metric": f"{metric}_gap", "value": float(max(values) - min(values))})
    return rows


def roc_table(scores: np.ndarray, pairs: pd.DataFrame, group_labels, n_points: int = 60,
              min_far: float = 1e-4, curves: dict | None = None) -> pd.DataFrame:
    """ROC per group and pooled, read at log-spaced FARs (the TAR@FAR definition): group, far, tar.
    ``curves``: ``roc_curves(scores, pairs)`` if already computed."""
    grid = np.r_[np.logspace(np.log10(min_far), 0, n_points)]
    curves = roc_curves(scores, pairs) if curves is None else curves
    frames = []
    for name, (fars, tars, _) in curves.items():
        index = np.searchsorted(fars, grid, side="right") - 1
        frames.append(pd.DataFrame({"group": name if name == OVERALL else str(group_labels[name]),
                                    "far": grid, "tar": tars[index]}))
    # A split without genuine pairs (one photo per person) has no ROC: an empty table.
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["group", "far", "tar"])


def tar_halfwidth(scores: np.ndarray, pairs: pd.DataFrame, identity, far: float, resamples: int = 200,
                  seed: int = 0, z: float = 1.96) -> dict[int, float]:
    """Per group: the 95% half-width (z × bootstrap sd) of its TAR at ``far`` (its own threshold).

    The genuine pairs of one person share that person's photos, so they are not independent: each resample
    draws the group's *people* with replacement (all of a person's genuine pairs come along) and, for the
    threshold, its impostor pairs with replacement. A binomial interval on the pair count would be too narrow.
    """
    scores, identity = np.asarray(scores, dtype=np.float64), np.asarray(identity)
    rng = np.random.default_rng(seed)
    genuine_mask, group = pairs.genuine.to_numpy(), pairs.group.to_numpy()
    out = {}
    for g in np.unique(group):
        genuine, impostor = scores[genuine_mask & (group == g)], scores[~genuine_mask & (group == g)]
        if not (len(genuine) and len(impostor)):
            continue
        _, person = np.unique(identity[pairs.i.to_numpy()[genuine_mask & (group == g)]], return_inverse=True)
        pair_counts = np.bincount(person).astype(np.float64)
        tars = []
        for threshold in resampled_thresholds(impostor, far, resamples, rng):
            accepted = np.bincount(person, weights=genuine > threshold, minlength=len(pair_counts))
            weight = rng.multinomial(len(pair_counts), np.full(len(pair_counts), 1 / len(pair_counts)))
            tars.append(weight @ accepted / (weight @ pair_counts))
        out[int(g)] = float(z * np.std(tars, ddof=1))
    return out


def resampled_thresholds(impostor: np.ndarray, far: float, resamples: int, rng: np.random.Generator):
    """The threshold at ``far`` (accept only above the (k+1)-th largest score, k = floor(far × n)) of each of
    ``resamples`` bootstrap resamples of the n impostor scores, in O(k) per resample instead of O(n).

    Of n draws with replacement, the number that land among the top d scores is Binomial(n, d/n) and, given
    that number, they are uniform over those d; so while at least k + 1 land there (d is k + 1 plus eight
    standard deviations of that count), the (k+1)-th largest draw is the (k+1)-th smallest of their
    positions. The resample's distribution is exactly that of drawing all n.
    """
    n = len(impostor)
    allowed = int(np.floor(far * n))                  # impostors that may score above the threshold
    depth = min(n, allowed + 1 + int(np.ceil(8 * np.sqrt(allowed + 1))) + 64)
    top = -np.sort(np.partition(-impostor, depth - 1)[:depth])   # the d largest scores, descending
    for _ in range(resamples):
        landed = rng.binomial(n, depth / n) if depth < n else n
        if landed > allowed:
            yield top[np.partition(rng.integers(0, depth, landed), allowed)[allowed]]
        else:   # fewer than k + 1 in the top d (eight standard deviations away): draw them all
            drawn = impostor[rng.integers(0, n, n)]
            yield -np.partition(-drawn, allowed)[allowed]
