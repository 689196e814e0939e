"""The extraction process pool isolates a page that kills or hangs its worker; the rest of the
batch still gets its results, and the bad page gets a reason instead of stopping the task."""

import os
import time

from wirewatch.workers import SafePool


def square_unless_bad(item: int) -> int:
    """Top level, so pool workers can import it. 13 kills its process; 7 never finishes."""
    if item == 13:
        os._exit(1)
    if item == 7:
        time.sleep(600)
    return item * item


def test_healthy_batches_map_in_order():
    with SafePool(2, item_timeout=30, on_error=lambda reason: reason) as pool:
        assert pool.map(square_unless_bad, [1, 2, 3, 4, 5]) == [1, 4, 9, 16, 25]
        assert pool.map(square_unless_bad, []) == []


def test_a_crashing_item_gets_a_reason_and_the_others_their_results():
    with SafePool(2, item_timeout=30, on_error=lambda reason: reason) as pool:
        results = pool.map(square_unless_bad, [2, 13, 3])
        assert results[0] == 4 and results[2] == 9
        assert "process died" in results[1]
        # The pool is usable again afterwards.
        assert pool.map(square_unless_bad, [5]) == [25]


def test_a_hanging_item_is_stopped_at_its_deadline():
    started = time.monotonic()
    with SafePool(2, item_timeout=2, on_error=lambda reason: reason) as pool:
        results = pool.map(square_unless_bad, [3, 7, 4])
    assert results[0] == 9 and results[2] == 16
    assert "no result within 2 s" in results[1]
    assert time.monotonic() - started < 30
