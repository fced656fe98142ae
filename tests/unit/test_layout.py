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


def test_an_adjacency_across_layers_keeps_a_lane_of_its_own():
    # rrc23 2022 and the 2015 table: 4837 -> 131279 directly and through 134544
    edges = [(4837, 134544), (134544, 131279), (4837, 131279), (2914, 4837)]
    lay = layered_layout(edges, [131279])
    where = lay.index()
    bend = lay.bends[(4837, 131279)]
    assert len(bend) == 1                                   # one dummy, in 134544's layer
    x, y = bend[0]
    assert x == lay.pos[where[134544], 0]
    assert abs(y - lay.pos[where[134544], 1]) >= 0.6        # beside the AS, not through it
    assert (134544, 131279) not in lay.bends and (4837, 134544) not in lay.bends


def test_a_routing_loop_is_cut_at_its_lightest_edge():
    # 1 -> 2 -> 3 -> 1 seen on different paths; 3 reaches the origin 9
    edges = [(1, 2), (2, 3), (3, 1), (3, 9)]
    lay = layered_layout(edges, [9], weights={(1, 2): 10, (2, 3): 10, (3, 1): 1, (3, 9): 10})
    layer = dict(zip(lay.asns.tolist(), lay.layer.tolist()))
    assert layer == {9: 0, 3: 1, 2: 2, 1: 3}                # the light 3 -> 1 is the one drawn back


def test_an_origin_that_carries_another_origin_moves_up():
    # 7018 originates prefixes and carries its customers' (a transit that is also an origin)
    lay = layered_layout([(2914, 7018), (7018, 64500), (2914, 64501)], [7018, 64500, 64501])
    layer = dict(zip(lay.asns.tolist(), lay.layer.tolist()))
    assert layer[64500] == layer[64501] == 0 and layer[7018] == 1 and layer[2914] == 2


def test_given_layers_are_kept():
    lay = layered_layout([(1, 2), (2, 3), (1, 3)], [3], layers={1: 1, 2: 1, 3: 0})
    assert dict(zip(lay.asns.tolist(), lay.layer.tolist())) == {1: 1, 2: 1, 3: 0}
