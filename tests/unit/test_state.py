"""The view state: an exact round trip, and what it refuses."""

import pytest

from explorer.state import StateError, ViewState


def test_view_state_round_trips_exactly():
    s = ViewState(scope_kind="prefixes", scope="175.45.176.0/22", start=1418947200, end=1419379200,
                  step=900, at=1419278400, definitions={"threshold": 0.5, "full_feed": "share:0.75"},
                  timeline_mode="peers", selected_asn=4837)
    d = s.to_dict()
    assert d["start"] == "2014-12-19T00:00:00Z" and d["at"] == "2014-12-22T20:00:00Z"
    assert ViewState.from_dict(d) == s
    assert ViewState.from_dict(d).to_dict() == d


def test_view_state_refuses_what_cannot_be_shown():
    with pytest.raises(StateError, match="before it starts"):
        ViewState(start=10, end=5)
    with pytest.raises(StateError, match="unknown view-state field"):
        ViewState.from_dict({"colour": "red"})
