"""The graph layout: layers by hop distance, fewer crossings."""

from explorer.analysis.layout import crossings, layered_layout


def test_layers_are_hop_distances_from_the_origin():
    edges = [(2914, 1239), (1239, 4837), (4837, 131279), (3356, 4837), (22351, 131279), (174, 22351)]
    lay = layered_layout(edges, [131279])
    layer = dict(zip(lay.asns.tolist(), lay.layer.tolist()))
    assert layer == {131279: 0, 4837: 1, 22351: 1, 1239: 2, 3356: 2, 174: 2, 2914: 3}
    x = dict(zip(lay.asns.tolist(), lay.pos[:, 0].tolist()))
    assert x[131279] > x[4837] > x[1239] > x[2914]          # origin on the right, peers on the left


def test_no_adjacency_lies_within_a_layer():
    # 1299 reaches the origin both directly through 4837 and through 3356: it goes a layer further out
    edges = [(1299, 4837), (1299, 3356), (3356, 4837), (4837, 131279)]
    lay = layered_layout(edges, [131279])
    layer = dict(zip(lay.asns.tolist(), lay.layer.tolist()))
    assert all(layer[s] > layer[t] for s, t in edges)
    assert layer[1299] == 3


def test_barycenter_untangles_two_crossed_chains():
    # Sorted by ASN the middle layer would be (10, 20) over peers (2, 1): one crossing.
    edges = [(1, 10), (2, 20), (10, 100), (20, 100)]
    lay = layered_layout(edges, [100])
    assert crossings(lay, [(1, 10), (2, 20)]) == 0


def test_unreachable_ases_go_beyond_the_farthest_layer():
    lay = layered_layout([(1, 2), (5, 6)], [2])
    layer = dict(zip(lay.asns.tolist(), lay.layer.tolist()))
    assert layer[2] == 0 and layer[1] == 1 and layer[5] == layer[6] == 2
