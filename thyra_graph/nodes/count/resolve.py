"""Turning scale-space peaks into objects: one detection per object, clumps split.

Every object answers at several scales, so peaks come in families. Two peaks *conflict* when
one lies inside the other's radius (the finer one inside the coarser one). A conflict is
settled as follows:

- a coarse peak holding two or more strong finer peaks that are apart from each other, with
  a dip in brightness between them, is a *merger*: touching objects seen together at a
  coarse scale. The merger goes and the objects stay;
- otherwise the weaker peak of the pair goes: it is the same object seen at a neighbouring
  scale, or the ring the Laplacian draws just inside a big object's edge (those answer at a
  third of the object's own strength).

Without a dip, two peaks could be the two ends of one elongated object (a bird with spread
wings), so they are not split: an unresolvable pair counts once here, and ``count.clumps``
corrects for that from the clump's area.
"""

from __future__ import annotations

import numpy as np

# A finer peak is "strong" (an object of its own) from half the coarse peak's response;
# the ring inside a large object's edge answers with about a third (theory for a disc: 0.24
# against 0.74 of its contrast).
STRONG_RATIO = 0.5
# Points sampled along the segment between two peaks to look for a dip.
_DIP_SAMPLES = np.linspace(0.0, 1.0, 9)[1:-1]


def resolve(xy: np.ndarray, level: np.ndarray, strength: np.ndarray, radius: np.ndarray, *,
            smooth: np.ndarray, dip_floor: np.ndarray) -> np.ndarray:
    """Which peaks are objects. ``xy`` in window pixels; ``level`` the scale index (0 finest);
    ``strength`` the scale-normalised response; ``smooth`` the lightly smoothed image in which
    dips are looked for, and ``dip_floor`` how deep (per peak) a dip must be to count."""
    from scipy.spatial import cKDTree

    count = len(xy)
    keep = np.ones(count, dtype=bool)
    if count < 2:
        return keep
    pairs = cKDTree(xy).query_pairs(float(radius.max()), output_type="ndarray")
    if len(pairs) == 0:
        return keep
    a, b = pairs[:, 0], pairs[:, 1]
    # Orient each pair: ``outer`` is the coarser peak (or the stronger one at the same scale).
    flip = (level[b] > level[a]) | ((level[b] == level[a]) & (strength[b] > strength[a]))
    outer, inner = np.where(flip, b, a), np.where(flip, a, b)
    distance = np.hypot(*(xy[outer] - xy[inner]).T)
    conflict = distance < np.maximum(radius[outer], 1.0)
    outer, inner = outer[conflict], inner[conflict]

    strong = (level[inner] < level[outer]) & (strength[inner] >= STRONG_RATIO * strength[outer])
    mergers = _mergers(outer[strong], inner[strong], xy, radius, smooth, dip_floor)
    keep[mergers] = False

    alive = keep[outer] & keep[inner]
    outer, inner = outer[alive], inner[alive]
    weaker = np.where(strength[outer] >= strength[inner], inner, outer)
    keep[weaker] = False
    return keep


def _mergers(outer: np.ndarray, inner: np.ndarray, xy: np.ndarray, radius: np.ndarray,
             smooth: np.ndarray, dip_floor: np.ndarray) -> np.ndarray:
    """Coarse peaks that hold at least two separate objects with a dip between them."""
    if len(outer) < 2:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(outer, kind="stable")
    outer, inner = outer[order], inner[order]
    starts = np.flatnonzero(np.r_[True, outer[1:] != outer[:-1]])
    sizes = np.diff(np.r_[starts, len(outer)])
    # Every pair of finer peaks held by the same coarse peak, built group size by group size.
    owners, firsts, seconds = [], [], []
    for size in np.unique(sizes[sizes >= 2]):
        group_starts = starts[sizes == size]
        u, v = np.triu_indices(int(size), 1)
        owners.append(np.repeat(outer[group_starts], len(u)))
        firsts.append(inner[(group_starts[:, None] + u[None, :]).ravel()])
        seconds.append(inner[(group_starts[:, None] + v[None, :]).ravel()])
    if not owners:
        return np.zeros(0, dtype=np.int64)
    owner, first, second = np.concatenate(owners), np.concatenate(firsts), np.concatenate(seconds)
    p, q = xy[first], xy[second]
    # One inside the other is the same object twice, not a pair.
    apart = np.hypot(*(p - q).T) >= np.maximum(radius[first], radius[second])
    owner, first, second, p, q = owner[apart], first[apart], second[apart], p[apart], q[apart]
    height, width = smooth.shape

    def sample(points: np.ndarray) -> np.ndarray:
        cols = np.clip(np.rint(points[..., 0]).astype(np.int64), 0, width - 1)
        rows = np.clip(np.rint(points[..., 1]).astype(np.int64), 0, height - 1)
        return smooth[rows, cols]

    line = p[:, None, :] + (q - p)[:, None, :] * _DIP_SAMPLES[None, :, None]
    valley = sample(line).min(axis=1)
    ends = np.minimum(sample(p), sample(q))
    dipped = ends - valley > np.maximum(dip_floor[first], dip_floor[second])
    return np.unique(owner[dipped])


def parts_of_bigger(xy: np.ndarray, strength: np.ndarray, bigger_xy: np.ndarray, bigger_strength: np.ndarray,
                    bigger_radius: float) -> np.ndarray:
    """Which peaks are texture or rim of a bigger object (one peak of ``bigger_xy``, all of
    radius ``bigger_radius``): inside the nearest one's radius and weaker than STRONG_RATIO of
    it (an object of their own would answer at least that strongly, as in :func:`resolve`)."""
    if len(xy) == 0 or len(bigger_xy) == 0:
        return np.zeros(len(xy), dtype=bool)
    from scipy.spatial import cKDTree

    _, nearest = cKDTree(bigger_xy).query(xy, distance_upper_bound=bigger_radius)
    inside = nearest < len(bigger_xy)
    part = np.zeros(len(xy), dtype=bool)
    part[inside] = strength[inside] < STRONG_RATIO * bigger_strength[nearest[inside]]
    return part
