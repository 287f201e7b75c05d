"""search/deadline.py: a request's deadline, checked by the engine while it waits and works."""

from __future__ import annotations

import pytest

from search import deadline
from search.engine import SearchEngine
from search.errors import SearchTimeout
from search.models import SearchRequest


@pytest.fixture(scope="module")
def engine(index_dir):
    return SearchEngine(index_dir)


def test_without_a_deadline_nothing_is_stopped(engine):
    assert deadline.remaining() is None
    deadline.check()
    with deadline.deadline(0):  # 0: no limit (REQUEST_TIMEOUT = 0)
        assert deadline.remaining() is None
        assert engine.search(SearchRequest(q="melanoma")).total > 0


def test_a_search_past_its_deadline_stops_and_the_next_one_runs(engine):
    with deadline.deadline(1e-6), pytest.raises(SearchTimeout) as stopped:
        engine.search(SearchRequest(q='"malignant melanoma" OR interleukin*'))
    assert str(stopped.value) == (
        "The search took longer than 1e-06 seconds and was stopped; try fewer words or a "
        "narrower query."
    )
    assert stopped.value.status == 503
    assert deadline.remaining() is None  # the block's deadline is gone with the block
    with deadline.deadline(60):
        assert 0 < deadline.remaining() <= 60
        assert engine.search(SearchRequest(q='"malignant melanoma" OR interleukin*')).total > 0


def test_deadlines_nest_and_restore():
    with deadline.deadline(60):
        with deadline.deadline(1e-6):
            assert deadline.remaining() == 0
            with pytest.raises(SearchTimeout):
                deadline.check()
        assert deadline.remaining() > 1
        deadline.check()
    assert deadline.busy().status == 503
    assert str(deadline.busy()) == (
        "The server is busy with other searches and could not start this one; try again in a "
        "moment."
    )
