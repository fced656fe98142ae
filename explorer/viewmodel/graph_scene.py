"""The folded AS graph laid out on a pane of W x H pixels: where each node, edge and label goes.

Computed without Qt from the folding's layered layout and the sizes of the texts (the window measures
them with its font), again whenever the pane changes size, so that the window and every export (which
lays the pane out at the picture's size) draw from the same placement:

* **Nodes.** Columns by layer, origins on the right; the outer columns leave room for their labels.
  Every node keeps a box of the largest size it can be drawn at, so that a label placed once never
  touches a node however its size changes with the cursor.
* **Edges.** Through the lanes the layout kept for them (dummy points, smoothed); an edge that would
  still pass over a node, or run along another edge from the same node (4837 -> 131279 beside 4837 ->
  134544 -> 131279), or come back along a reverse edge, is bent aside until it does not.
* **Labels.** Greedy, heaviest node first: for each text the node may take (its name, then shorter
  forms cut at word boundaries, then its number), candidate places around the node (beside it toward
  the outside for the outer columns, above or below it inside), the first text that has a place
  inside the pane touching no node and no label already placed, at the place crossing fewest edges.
  A node with no room for any text has no label (hovering it names it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from explorer.analysis.layout import spaced

PAD = 4.0               # from the pane's edges
GAP = 3.0               # between a node and its label
R_MAX = 13.0            # the largest radius of an AS's disc
SAMPLES = 16            # points per drawn edge segment
_T = np.linspace(0, 1, SAMPLES + 1)[1:, None]
_T2 = np.linspace(0, 1, 2 * SAMPLES + 1)[:, None]


@dataclass
class Label:
    node: int
    text: str
    rect: tuple[float, float, float, float]      # x, y, width, height in pane pixels


@dataclass
class Scene:
    width: float
    height: float
    centre: np.ndarray                  # (N, 2) pixels
    half: np.ndarray                    # (N, 2): half the width and height of each node's box
    edges: dict[int, np.ndarray] = field(default_factory=dict)     # drawn edge -> (k, 2) polyline
    curves: dict[int, list] = field(default_factory=dict)          # drawn edge -> its curve, to paint (``curve``)
    labels: list[Label] = field(default_factory=list)
    unlabelled: list[int] = field(default_factory=list)
    key: Label | None = None                    # what sizes and strokes mean, in a corner free of nodes

    def node_rects(self) -> list[tuple[float, float, float, float]]:
        return [(float(c[0] - h[0]), float(c[1] - h[1]), float(2 * h[0]), float(2 * h[1]))
                for c, h in zip(self.centre, self.half)]

    def node_at(self, x: float, y: float, slack: float = 2.0) -> int | None:
        if not len(self.centre):
            return None
        d = np.abs(self.centre - (x, y)) - self.half - slack
        inside = np.flatnonzero((d <= 0).all(axis=1))
        if not len(inside):
            return None
        return int(inside[np.argmin(np.hypot(*(self.centre[inside] - (x, y)).T))])


def build_scene(layout_pos: np.ndarray, layer: np.ndarray, bends: dict[int, np.ndarray], edges: np.ndarray,
                drawn: list[int], boxes: np.ndarray, texts: list[list[str]], measure, order: list[int],
                width: float, height: float, key: list[list[str]] = ()) -> Scene:
    """``layout_pos``/``layer``: per node, from the layout (x = column, y = place in it); ``bends``: edge
    index -> layout points between its ends; ``edges``: (E, 2) node indices; ``drawn``: the edges to
    draw; ``boxes``: (N, 2) each node's largest size in pixels; ``texts``: per node, its label's texts,
    longest first; ``measure``: text -> (width, height) in pixels; ``order``: nodes, first labelled first;
    ``key``: the legend's texts (lines joined by newlines), longest first, placed before the labels."""
    n = len(layout_pos)
    half = np.asarray(boxes, float).reshape(-1, 2) / 2
    scene = Scene(width, height, np.zeros((n, 2)), half)
    if n == 0:
        return scene
    sizes = {t: measure(t) for ts in texts for t in ts}
    line = max((h for _, h in sizes.values()), default=14.0)
    lanes = np.vstack([layout_pos] + [bends[e] for e in drawn if e in bends and len(bends[e])])
    scene.centre = _place_nodes(layout_pos, layer, half, texts, sizes, width, height, line, lanes[:, 1])
    to_px = _mapping(layout_pos, scene.centre)
    via = {e: to_px(bends[e]) for e in drawn if e in bends and len(bends[e])}
    _spread(scene, via, PAD + line + GAP, height - PAD - line - GAP, line)
    xs = np.unique(scene.centre[:, 0].round(3))
    reach = min(0.5 * float(np.diff(xs).min()), 60.0) if len(xs) > 1 else 40.0
    for e in drawn:
        s, t = (int(v) for v in edges[e])
        side = -reach if scene.centre[s, 0] >= xs[-1] - 1 and len(xs) > 1 else reach     # not off the pane
        scene.edges[e], scene.curves[e] = _route(scene.centre[s], scene.centre[t], via.get(e), side)
    _unclutter(scene, edges, drawn)
    for e in drawn:                         # no curve leaves the pane: each stays within its control points
        scene.edges[e], scene.curves[e] = _inside(scene.edges[e], scene.curves[e], width, height)
    scene.key = _key(scene, key, measure)
    _labels(scene, layer, texts, sizes, order)
    return scene


def _key(scene: Scene, texts, measure) -> Label | None:
    """The legend in the pane's corner (bottom left first) that touches no node and crosses fewest edges;
    its longest text that fits there; none if no corner has room."""
    W, H = scene.width, scene.height
    boxes = np.hstack([scene.centre - scene.half - 2, scene.centre + scene.half + 2])
    pts, owner = _edge_points(scene)
    for text in texts:
        lines = [measure(t) for t in text.split("\n")]
        w, h = max(a for a, _ in lines), sum(b for _, b in lines)
        corners = np.array([(PAD, H - PAD - h), (W - PAD - w, H - PAD - h), (PAD, PAD), (W - PAD - w, PAD)])
        rects = np.hstack([corners, corners + (w, h)])
        ok = (rects[:, 0] >= PAD) & (rects[:, 1] >= PAD) & (rects[:, 2] <= W - PAD) & (rects[:, 3] <= H - PAD)
        if len(boxes):
            ok &= ~_overlaps(rects, boxes).any(axis=1)
        if ok.any():
            cost = np.where(ok, _crossings(rects, pts, owner) * 3.0 + np.arange(4), np.inf)
            x0, y0 = rects[int(np.argmin(cost)), :2]
            return Label(-1, text, (float(x0), float(y0), float(w), float(h)))
    return None


# -- nodes ------------------------------------------------------------------------------------------------

def _place_nodes(pos, layer, half, texts, sizes, width, height, line, all_y) -> np.ndarray:
    """Node centres: columns by layer between the outer columns' label room; rows so that the nodes and
    the lanes of the edges (``all_y``) fit between a label's height from the top and from the bottom."""
    top_layer = int(layer.max())
    room = []
    for side in (top_layer, 0):            # the leftmost column's labels go left, the origins' right
        widths = [max((sizes[t][0] for t in texts[i] if sizes[t][0] <= 0.24 * width), default=0.0)
                  for i in np.flatnonzero(layer == side)]
        room.append(min(max(widths, default=0.0) + GAP, 0.26 * width))
    r = float(half.max()) if len(half) else R_MAX
    x0, x1 = PAD + room[0] + r, width - PAD - room[1] - r
    if top_layer == 0 or x1 <= x0:
        xs = np.full(len(pos), width / 2)
    else:
        xs = x0 + (top_layer - layer) / top_layer * (x1 - x0)
    y = pos[:, 1]                           # lanes beyond the nodes widen the rows by a node's room at most
    lo, hi = max(float(all_y.min()), float(y.min()) - 1.0), min(float(all_y.max()), float(y.max()) + 1.0)
    y0, y1 = PAD + line + GAP + r, height - PAD - line - GAP - r
    if hi - lo < 1e-9 or y1 <= y0:
        ys = np.full(len(pos), height / 2)
    else:
        scale = min((y1 - y0) / (hi - lo), 6.0 * (r + line))        # a few nodes are not spread over the pane
        ys = (y0 + y1) / 2 + (y - (lo + hi) / 2) * scale
    return np.stack([xs, ys], axis=1)


def _spread(scene: Scene, via: dict[int, np.ndarray], y0: float, y1: float, line: float) -> None:
    """Room in each column: consecutive nodes at least their boxes and a label's height apart, a lane at
    least its node's half box and a few pixels from a node, each as near its place as it can be (least
    squares, in order); a column that does not fit is squeezed to the pane's height."""
    items = [(float(c[0]), float(c[1]), "node", i) for i, c in enumerate(scene.centre)]
    items += [(float(p[0]), float(p[1]), "lane", (e, k)) for e, pts in via.items() for k, p in enumerate(pts)]
    columns: dict[float, list] = {}
    for x, y, kind, key in items:
        columns.setdefault(round(x, 3), []).append((y, kind, key))
    for members in columns.values():
        members.sort(key=lambda m: m[0])

        def room(m):
            return float(scene.half[m[2]][1]) if m[1] == "node" else 2.0

        gaps = [0.0] + [room(a) + room(b) + (max(6.0, line - 8.0) if a[1] == b[1] == "node" else 6.0)
                        for a, b in zip(members, members[1:])]
        total = sum(gaps)
        if total > y1 - y0:
            gaps = [g * (y1 - y0) / total for g in gaps]
        ys = np.array(spaced([m[0] for m in members], gaps))
        if ys[0] < y0:
            ys += y0 - ys[0]
        if ys[-1] > y1:
            ys -= ys[-1] - max(y1, y0 + ys[-1] - ys[0])
        for (_, kind, key), y in zip(members, ys):
            if kind == "node":
                scene.centre[key, 1] = y
            else:
                via[key[0]][key[1], 1] = y


def _mapping(pos, centre):
    """Layout coordinates -> pixels, as the nodes were placed (per axis, affine)."""
    def axis(k):
        a, b = pos[:, k], centre[:, k]
        if np.ptp(a) < 1e-9:
            return lambda v: np.full_like(v, b.mean())
        slope = np.ptp(b) / np.ptp(a)
        return lambda v: b.min() + (v - a.min()) * slope
    fx, fy = axis(0), axis(1)
    return lambda pts: None if pts is None or not len(pts) else np.stack([fx(pts[:, 0]), fy(pts[:, 1])], axis=1)


# -- edges ------------------------------------------------------------------------------------------------

def _route(a: np.ndarray, b: np.ndarray, via: np.ndarray | None, reach: float) -> tuple[np.ndarray, list]:
    """(polyline, curve) of an edge from a to b through the points ``via``. A curve is its start and a
    list of ('line', p) / ('quad', c, p) / ('cubic', c1, c2, p) segments, as a painter draws them. An
    edge within a column leaves it sideways, ``reach`` pixels toward the origin, and comes back."""
    if via is None:
        if b[0] - a[0] > 1.0:                      # toward the origin: straight
            return np.array([a, b], float), [a, [("line", b)]]
        return _sideways(a, b, reach)
    return _smooth(np.vstack([a, via, b]))


def _sideways(a: np.ndarray, b: np.ndarray, reach: float) -> tuple[np.ndarray, list]:
    """A cubic curve that leaves a and reaches b horizontally, ``reach`` pixels to the side (> 0: right)."""
    c1, c2 = a + (reach, 0.0), b + (reach, 0.0)
    t = _T2
    poly = (1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * c1 + 3 * (1 - t) * t ** 2 * c2 + t ** 3 * b
    return poly, [a, [("cubic", c1, c2, b)]]


def _smooth(points: np.ndarray) -> tuple[np.ndarray, list]:
    """A Catmull-Rom curve through ``points`` (as cubic Bezier segments), and its polyline."""
    p = np.vstack([points[0], points, points[-1]])
    out, segments = [points[:1]], []
    t = _T
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        c1, c2 = p1 + (p2 - p0) / 6, p2 - (p3 - p1) / 6
        segments.append(("cubic", c1, c2, p2))
        out.append((1 - t) ** 3 * p1 + 3 * (1 - t) ** 2 * t * c1 + 3 * (1 - t) * t ** 2 * c2 + t ** 3 * p2)
    return np.vstack(out), [points[0], segments]


def _bent(a: np.ndarray, b: np.ndarray, offset: float) -> tuple[np.ndarray, list]:
    """A quadratic curve from a to b whose middle lies ``offset`` pixels to the left of a -> b."""
    d = b - a
    length = np.hypot(*d) or 1.0
    normal = np.array([-d[1], d[0]]) / length
    c = (a + b) / 2 + normal * 2 * offset        # the control point: the curve's middle is halfway to it
    t = _T2
    return (1 - t) ** 2 * a + 2 * (1 - t) * t * c + t ** 2 * b, [a, [("quad", c, b)]]


def _inside(poly: np.ndarray, curve: list, width: float, height: float) -> tuple[np.ndarray, list]:
    lo, hi = np.array([PAD, PAD]), np.array([width - PAD, height - PAD])
    if ((poly >= lo) & (poly <= hi)).all():
        return poly, curve
    start, segments = curve
    segments = [(kind, *[np.clip(p, lo, hi) for p in pts]) for kind, *pts in segments]
    start = np.clip(start, lo, hi)
    dense, at = [start[None, :]], start
    t = _T2
    for kind, *pts in segments:
        if kind == "line":
            dense.append(at + (pts[0] - at) * t[1:])
        elif kind == "quad":
            c, b = pts
            dense.append(((1 - t) ** 2 * at + 2 * (1 - t) * t * c + t ** 2 * b)[1:])
        else:
            c1, c2, b = pts
            dense.append(((1 - t) ** 3 * at + 3 * (1 - t) ** 2 * t * c1 + 3 * (1 - t) * t ** 2 * c2 + t ** 3 * b)[1:])
        at = pts[-1]
    return np.vstack(dense), [start, segments]


def _away_from_ends(pts: np.ndarray, centre, half, ends) -> np.ndarray:
    keep = np.ones(len(pts), bool)
    for v in ends:
        keep &= np.hypot(*(pts - centre[v]).T) > float(half[v].max()) + 6.0
    return pts[keep]


def _dense(poly: np.ndarray, step: float = 3.0) -> np.ndarray:
    """The polyline with a point at least every ``step`` pixels."""
    seg = np.diff(poly, axis=0)
    k = np.maximum(1, (np.hypot(seg[:, 0], seg[:, 1]) / step).astype(np.int64))
    which = np.repeat(np.arange(len(seg)), k)
    frac = (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k) + 1) / np.repeat(k, k)
    return np.vstack([poly[:1], poly[which] + seg[which] * frac[:, None]])


def _unclutter(scene: Scene, edges: np.ndarray, drawn: list[int]) -> None:
    """Bend the drawn edges that pass over a node, run along another edge of the same node, or along
    the edge back, until they do not (or as little as can be)."""
    pairs = {tuple(int(v) for v in edges[e]): e for e in drawn}
    over = _over_nodes(scene, edges, drawn)
    along = _alongside(scene, edges, drawn)
    for e in drawn:
        s, t = (int(v) for v in edges[e])
        if (t, s) in pairs and s < t:               # both ways between one pair: one on each side
            scene.edges[e], scene.curves[e] = _bent(scene.centre[s], scene.centre[t], 12.0)
            back = pairs[(t, s)]
            scene.edges[back], scene.curves[back] = _bent(scene.centre[t], scene.centre[s], 12.0)
            continue
        if (t, s) in pairs or not (over.get(e) or e in along):
            continue
        a, b = scene.centre[s], scene.centre[t]
        column = abs(b[0] - a[0]) < 1.0
        offsets = [o for o in (16, -16, 30, -30, 48, -48, 70, -70)
                   if not column or PAD < a[0] + 1.5 * o < scene.width - PAD]
        cands = [_sideways(a, b, 2.5 * o) if column else _bent(a, b, o) for o in offsets]
        if not cands:
            continue
        hits = _hits(np.stack([c[0] for c in cands]), scene, (s, t))
        cost = 3 * hits + np.abs(offsets) / 100
        scene.edges[e], scene.curves[e] = cands[int(np.argmin(cost))]


def _hits(polys: np.ndarray, scene: Scene, ends, margin: float = 1.0) -> np.ndarray:
    """Per polyline of ``polys`` (k, points, 2): how many nodes but ``ends`` it passes over."""
    k, m, _ = polys.shape
    pts = polys.reshape(-1, 2)
    keep = np.ones(len(pts), bool)
    for v in ends:
        keep &= np.hypot(*(pts - scene.centre[v]).T) > float(scene.half[v].max()) + 6.0
    d = np.abs(pts[:, None, :] - scene.centre[None, :, :]) - scene.half[None, :, :] - margin
    hit = (d <= 0).all(axis=2) & keep[:, None]
    hit[:, list(ends)] = False
    return hit.reshape(k, m, -1).any(axis=1).sum(axis=1)


def _over_nodes(scene: Scene, edges: np.ndarray, drawn: list[int], margin: float = 1.0) -> dict[int, bool]:
    """Per drawn edge: whether it passes over a node other than its ends (all edges at once)."""
    if not drawn:
        return {}
    dense = [_away_from_ends(_dense(scene.edges[e]), scene.centre, scene.half, tuple(int(v) for v in edges[e]))
             for e in drawn]
    pts = np.vstack(dense)
    owner = np.repeat(np.arange(len(drawn)), [len(d) for d in dense])
    d = np.abs(pts[:, None, :] - scene.centre[None, :, :]) - scene.half[None, :, :] - margin
    hit = (d <= 0).all(axis=2)                                          # (points, nodes)
    ends = edges[np.array(drawn)][owner]
    hit[np.arange(len(pts)), ends[:, 0]] = False
    hit[np.arange(len(pts)), ends[:, 1]] = False
    per_edge = np.zeros(len(drawn), bool)
    np.logical_or.at(per_edge, owner, hit.any(axis=1))
    return {e: bool(v) for e, v in zip(drawn, per_edge)}


def _alongside(scene: Scene, edges: np.ndarray, drawn: list[int], angle: float = 0.06) -> set[int]:
    """The drawn edges that leave one of their ends in (nearly) the direction of another drawn edge of
    that end."""
    leaving: dict[int, list[tuple[int, np.ndarray]]] = {}
    for e in drawn:
        s, t = (int(v) for v in edges[e])
        poly = scene.edges[e]
        k = min(3, len(poly) - 1)
        for end, d in ((s, poly[k] - poly[0]), (t, poly[-1 - k] - poly[-1])):
            n = np.hypot(*d)
            if n > 0:
                leaving.setdefault(end, []).append((e, d / n))
    out: set[int] = set()
    for ways in leaving.values():
        for i, (e, d1) in enumerate(ways):
            for f, d2 in ways[i + 1:]:
                if abs(d1[0] * d2[1] - d1[1] * d2[0]) < angle and np.dot(d1, d2) > 0:
                    out.update((e, f))
    return out


# -- labels -----------------------------------------------------------------------------------------------

def _labels(scene: Scene, layer, texts, sizes, order) -> None:
    W, H = scene.width, scene.height
    boxes = np.hstack([scene.centre - scene.half - 1.5, scene.centre + scene.half + 1.5])     # x0 y0 x1 y1
    placed = np.zeros((0, 4))
    if scene.key is not None:
        x, y, w, h = scene.key.rect
        placed = np.array([[x, y, x + w, y + h]])
    pts, owner = _edge_points(scene)
    top = int(layer.max()) if len(layer) else 0
    for i in order:
        if not texts[i]:
            continue
        side = "right" if layer[i] == 0 and top > 0 else "left" if layer[i] == top and top > 0 else "inside"
        done = False
        for text in texts[i]:
            w, h = sizes[text]
            cands = _candidates(scene.centre[i], scene.half[i], w, h, side)
            rects = np.array([(x, y, x + w, y + h) for x, y in cands])
            ok = (rects[:, 0] >= PAD) & (rects[:, 1] >= PAD) & (rects[:, 2] <= W - PAD) & (rects[:, 3] <= H - PAD)
            ok &= ~_overlaps(rects, boxes).any(axis=1)
            if len(placed):
                ok &= ~_overlaps(rects, placed, 1.0).any(axis=1)
            if not ok.any():
                continue
            crossed = _crossings(rects, pts, owner)
            cost = np.where(ok, crossed * 3.0 + np.arange(len(rects)), np.inf)
            k = int(np.argmin(cost))
            x0, y0, x1, y1 = rects[k]
            scene.labels.append(Label(int(i), text, (float(x0), float(y0), float(w), float(h))))
            placed = np.vstack([placed, rects[k]])
            done = True
            break
        if not done:
            scene.unlabelled.append(int(i))


def _candidates(c, half, w, h, side) -> list[tuple[float, float]]:
    """Top-left corners for a w x h label around a node, in the order a reader expects them for the
    node's column; then the same sides a little further along, for crowded places."""
    cx, cy = c
    hx, hy = half
    right = (cx + hx + GAP, cy - h / 2)
    left = (cx - hx - GAP - w, cy - h / 2)
    above = (cx - w / 2, cy - hy - GAP - h)
    below = (cx - w / 2, cy + hy + GAP)
    above_r, below_r = (cx - hx / 2, cy - hy - GAP - h), (cx - hx / 2, cy + hy + GAP)
    above_l, below_l = (cx + hx / 2 - w, cy - hy - GAP - h), (cx + hx / 2 - w, cy + hy + GAP)
    if side == "right":
        first = [right, above_r, below_r, above, below, above_l, below_l, left]
    elif side == "left":
        first = [left, above_l, below_l, above, below, above_r, below_r, right]
    else:
        first = [above, below, right, left, above_r, below_r, above_l, below_l]
    further = []
    for x, y in first[:4]:
        if y == cy - h / 2:                     # beside: up or down by half a label
            further += [(x, y - h / 2 - 1), (x, y + h / 2 + 1)]
        else:                                   # above or below: along, by a third of the label
            further += [(x - w / 3, y), (x + w / 3, y)]
    return first + further


def _overlaps(rects: np.ndarray, others: np.ndarray, gap: float = 0.0) -> np.ndarray:
    """(len(rects), len(others)) bool: the rectangles (x0, y0, x1, y1) intersect, ``gap`` apart or less."""
    a, b = rects[:, None, :], others[None, :, :]
    return ((a[..., 0] < b[..., 2] + gap) & (b[..., 0] < a[..., 2] + gap)
            & (a[..., 1] < b[..., 3] + gap) & (b[..., 1] < a[..., 3] + gap))


def _edge_points(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    if not scene.edges:
        return np.zeros((0, 2)), np.zeros(0, np.int64)
    dense = [(_dense(p, 4.0), e) for e, p in scene.edges.items()]
    return np.vstack([d for d, _ in dense]), np.concatenate([np.full(len(d), e) for d, e in dense])


def _crossings(rects: np.ndarray, pts: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Per rectangle: how many edges pass through it."""
    if not len(pts):
        return np.zeros(len(rects))
    box = ((pts[:, 0] >= rects[:, 0].min()) & (pts[:, 0] <= rects[:, 2].max())
           & (pts[:, 1] >= rects[:, 1].min()) & (pts[:, 1] <= rects[:, 3].max()))
    pts, owner = pts[box], owner[box]
    if not len(pts):
        return np.zeros(len(rects))
    inside = ((pts[None, :, 0] >= rects[:, None, 0]) & (pts[None, :, 0] <= rects[:, None, 2])
              & (pts[None, :, 1] >= rects[:, None, 1]) & (pts[None, :, 1] <= rects[:, None, 3]))
    edges = np.unique(owner, return_inverse=True)[1]
    hit = np.zeros((len(rects), int(edges.max()) + 1), bool)
    r, k = np.nonzero(inside)
    hit[r, edges[k]] = True
    return hit.sum(axis=1).astype(float)


def scene_for(folding, drawn: list[int], boxes: np.ndarray, texts: list[list[str]], measure, width: float,
              height: float, key: list[str] = ()) -> Scene:
    """``build_scene`` for a folding (``analysis.aggregate``): its layout is keyed by node key; labels are
    placed for the ASes first, heaviest first, then for the groups (whose boxes show their count anyway)."""
    lay = folding.layout
    where = lay.index()
    rows = np.array([where[n.key] for n in folding.nodes], np.int64)
    keys = [n.key for n in folding.nodes]
    bends = {}
    for e, (s, t) in enumerate(folding.edges.tolist()):
        b = lay.bends.get((keys[s], keys[t]))
        if b is not None and len(b):
            bends[e] = b
    order = sorted(range(len(keys)), key=lambda i: (folding.nodes[i].is_group, -folding.nodes[i].weight))
    return build_scene(lay.pos[rows] if len(rows) else np.zeros((0, 2)), lay.layer[rows] if len(rows) else rows,
                       bends, folding.edges, drawn, boxes, texts, measure, order, width, height, key)
