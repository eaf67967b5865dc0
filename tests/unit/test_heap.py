"""quizbot.heap: survivors of a full collection are frozen, so the next one skips them."""

from __future__ import annotations

import gc
import subprocess
import sys


def test_survivors_of_a_full_collection_are_frozen_and_garbage_is_still_freed() -> None:
    # In a child process: freezing is for the life of the process.
    script = """
import gc, weakref
from quizbot.heap import freeze_survivors
freeze_survivors()
start = gc.get_freeze_count()
assert start > 0, "the start-up heap is frozen"
kept = [[i] for i in range(50_000)]
gc.collect()
assert gc.get_freeze_count() >= start + 50_000, "what survived a full collection is frozen"
assert gc.get_count()[2] == 0
class Node: pass
a, b = Node(), Node()
a.other, b.other = b, a
gone = weakref.ref(a)
del a, b
gc.collect()
assert gone() is None, "a cycle born after the last full collection is still collected"
print("ok", len(kept))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ok", "50000"]


def test_this_process_is_left_alone_by_importing_it() -> None:
    import quizbot.heap  # noqa: F401

    assert all(getattr(cb, "__module__", "") != "quizbot.heap" for cb in gc.callbacks)
