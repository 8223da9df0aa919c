"""Customer segments: cardholders grouped by what they buy and how they shop (scikit-learn k-means).

The features (customers.features) are made comparable (square roots of the spend shares) and
standardised; k-means is fitted for every k from MIN_SEGMENTS to
MAX_SEGMENTS and the k with the highest silhouette score (on a sample of at most SILHOUETTE_SAMPLE
cards) is kept: the stated criterion. A segment with fewer than MIN_GROUP cardholders is merged into
the nearest one, so that no figure is ever about fewer people. Each segment is named after the two
things it over-buys most against the chain's cardholders.

Week to week, the segments of the last published run keep their ids and names when the new ones
are close to them (centroids matched one to one, Hungarian method, RMS distance in standard
deviations at most MATCH_DISTANCE); the matching is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from planner.customers.features import SHARE_PREFIX

MIN_SEGMENTS, MAX_SEGMENTS = 3, 10
MIN_GROUP = 20  # cardholders: the smallest group any customer figure is about
SILHOUETTE_SAMPLE = 5_000
FIT_SAMPLE = 50_000  # cards the choice of k is made on
MATCH_DISTANCE = 0.75
MIN_SHARE_FOR_NAME = 0.01  # a feature the chain's cardholders spend under 1 % on does not name a segment
SEED = 0


@dataclass
class Segmentation:
    """The segments of the chain's cardholders."""

    labels: pd.Series  # card -> segment id
    centroids: pd.DataFrame  # segment id x feature, in the features' own units
    names: dict[int, str]
    silhouette: dict[int, float]  # k -> silhouette score of the k tried
    notes: list[str] = field(default_factory=list)  # the choice of k, merges, the match with the last run

    @property
    def segments(self) -> list[int]:
        """Segment ids, in order."""
        return sorted(self.names)


def segment_cards(features: pd.DataFrame, previous: pd.DataFrame | None = None, previous_names: dict[int, str] | None = None) -> Segmentation | None:
    """Segments of the cards in `features` (None when there are fewer than MIN_SEGMENTS x MIN_GROUP of them).

    `previous` and `previous_names`: the last published run's centroids and names, to keep their ids.
    """
    if len(features) < MIN_SEGMENTS * MIN_GROUP:
        return None
    values = comparable(features)
    scaler = StandardScaler().fit(values)
    scaled = scaler.transform(values)
    with threadpool_limits(limits=1):  # one thread (OpenMP and BLAS): two made k-means 4 x slower on 2 cores (benchmarks/customers.py)
        scores = _silhouettes(scaled)
        k = max(scores, key=lambda n: (scores[n], -n))
        labels = KMeans(n_clusters=k, n_init=5, random_state=SEED).fit_predict(scaled)
    notes = [f"{k} segments: the highest silhouette score ({scores[k]:.3f}) of k = {MIN_SEGMENTS}..{max(scores)}"]
    labels, merged = _merge_small(scaled, labels)
    notes += merged
    centroids = pd.DataFrame(features.groupby(labels).mean())
    ids, matched = _match_previous(centroids, scaler, features.columns, previous, previous_names)
    notes += matched
    centroids.index = [ids[i] for i in centroids.index]
    centroids = centroids.sort_index()
    names = _names(centroids, features.mean()) | {i: n for i, n in (previous_names or {}).items() if i in centroids.index}
    return Segmentation(pd.Series([ids[label] for label in labels], index=features.index, name="segment"), centroids, names, scores, notes)


def comparable(features: pd.DataFrame) -> np.ndarray:
    """The features as k-means compares them: spend shares under a square root (the Hellinger
    transform of compositions, so that one big line does not swamp a card's profile), habits as they are."""
    values = features.to_numpy(dtype=float, copy=True)
    shares = np.array([c.startswith(SHARE_PREFIX) or c == "fresh_share" for c in features.columns])
    values[:, shares] = np.sqrt(values[:, shares])
    return values


def _silhouettes(scaled: np.ndarray) -> dict[int, float]:
    """k -> silhouette score, for the k that leave at least MIN_GROUP cards per segment on average."""
    rng = np.random.default_rng(SEED)
    sample = scaled[rng.choice(len(scaled), FIT_SAMPLE, replace=False)] if len(scaled) > FIT_SAMPLE else scaled
    largest = min(MAX_SEGMENTS, len(sample) // MIN_GROUP)
    scores = {}
    for k in range(MIN_SEGMENTS, max(MIN_SEGMENTS, largest) + 1):
        labels = KMeans(n_clusters=k, n_init=3, random_state=SEED).fit_predict(sample)
        scores[k] = float(silhouette_score(sample, labels, sample_size=min(SILHOUETTE_SAMPLE, len(sample)), random_state=SEED))
    return scores


def _merge_small(scaled: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Fold segments under MIN_GROUP cards, the smallest first, into the nearest remaining centroid."""
    labels = labels.copy()
    notes = []
    while True:
        counts = pd.Series(labels).value_counts()
        if counts.min() >= MIN_GROUP or len(counts) == 1:
            break
        small = int(counts.idxmin())
        others = [int(s) for s in counts.index if s != small]
        centres = np.stack([scaled[labels == s].mean(axis=0) for s in others])
        members = labels == small
        distance = ((scaled[members][:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        labels[members] = np.array(others)[distance.argmin(axis=1)]
        notes.append(f"a segment of {int(counts[small])} cardholders (under {MIN_GROUP}) was merged into its nearest neighbours")
    _codes, relabelled = np.unique(labels, return_inverse=True)
    return relabelled, notes


def _match_previous(centroids: pd.DataFrame, scaler: StandardScaler, columns: pd.Index, previous: pd.DataFrame | None,
                    previous_names: dict[int, str] | None) -> tuple[dict[int, int], list[str]]:
    """New cluster -> segment id: the id of the last run's segment it matches, or a new id."""
    if previous is None or previous.empty:
        return {i: i + 1 for i in centroids.index}, []
    common = [c for c in columns if c in previous.columns]
    scale = pd.Series(scaler.scale_, index=columns)[common].replace(0.0, 1.0)
    new = (centroids[common] / scale).to_numpy()
    old = (previous[common] / scale).to_numpy()
    distance = np.sqrt(((new[:, None, :] - old[None, :, :]) ** 2).mean(axis=2))
    rows, cols = linear_sum_assignment(distance)
    ids: dict[int, int] = {}
    for r, c in zip(rows, cols, strict=True):
        if distance[r, c] <= MATCH_DISTANCE:
            ids[int(centroids.index[r])] = int(previous.index[c])
    next_id = int(max(previous.index.max(), 0)) + 1
    for i in centroids.index:
        if int(i) not in ids:
            ids[int(i)] = next_id
            next_id += 1
    names = previous_names or {}
    kept = sorted(v for v in ids.values() if v in previous.index)
    gone = sorted(set(int(i) for i in previous.index) - set(kept))
    notes = [f"kept {len(kept)} of the last run's {len(previous)} segments (centroids within {MATCH_DISTANCE} standard deviations)"]
    notes += [f"segment {names.get(g, g)!r} of the last run has no match this week: its cardholders moved" for g in gone]
    return ids, notes


def _names(centroids: pd.DataFrame, overall: pd.Series) -> dict[int, str]:
    """segment -> the two things it over-buys most against all cardholders, in words."""
    shares = [c for c in centroids.columns if c.startswith(SHARE_PREFIX) or c == "fresh_share"]
    shares = [c for c in shares if overall[c] >= MIN_SHARE_FOR_NAME]
    lift = centroids[shares] / overall[shares]
    names: dict[int, str] = {}
    for segment, row in lift.iterrows():
        top = row.sort_values(ascending=False, kind="stable").index[:2]
        name = " + ".join(feature_words(feature) for feature in top)
        habit = _habit_words(centroids.loc[segment], overall)
        name = f"{name} ({habit})" if habit else name
        while name in names.values():
            name += " II"
        names[int(segment)] = name
    return names


def _habit_words(centroid: pd.Series, overall: pd.Series) -> str:
    """'big baskets', 'frequent visits' and the like, where the segment is far from the average cardholder."""
    words = []
    if "log_spend_per_visit" in centroid and abs(centroid["log_spend_per_visit"] - overall["log_spend_per_visit"]) > 0.3:
        words.append("big baskets" if centroid["log_spend_per_visit"] > overall["log_spend_per_visit"] else "small baskets")
    if "log_visits_per_week" in centroid and abs(centroid["log_visits_per_week"] - overall["log_visits_per_week"]) > 0.2:
        words.append("frequent visits" if centroid["log_visits_per_week"] > overall["log_visits_per_week"] else "rare visits")
    return ", ".join(words)


def feature_words(feature: str) -> str:
    """A feature name in words: 'share:category=Ready Meals' -> 'Ready Meals', 'share:organic=1' -> 'organic'."""
    if feature == "fresh_share":
        return "fresh food"
    column, _, value = feature.removeprefix(SHARE_PREFIX).partition("=")
    if column == "category":
        return value
    if value.lower() in ("1", "true", "yes", "y", "ja"):
        return column.replace("_", " ")
    if value.lower() in ("0", "false", "no", "n", "nein"):
        return f"not {column.replace('_', ' ')}"
    return f"{value} {column.replace('_', ' ')}"
