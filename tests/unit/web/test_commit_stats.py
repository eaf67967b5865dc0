"""The group commit's own figures, as /monitoring/stats shows them."""

from __future__ import annotations

from quizbot.web.commit_stats import CommitStats


def test_batches_are_counted_into_size_buckets() -> None:
    stats = CommitStats(mode="group")
    for size in (1, 2, 3, 16, 17, 700):
        stats.add(size, flush_ms=2.0, ok=True)
    figures = stats.as_dict()
    assert figures["batches"] == 6 and figures["answers"] == 739
    assert figures["largest_batch"] == 700
    assert figures["mean_batch"] == round(739 / 6, 2)
    sizes = figures["batch_sizes"]
    assert (sizes["<=1"], sizes["<=2"], sizes["<=4"], sizes["<=16"], sizes["<=32"]) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert sizes["<=1024"] == 1


def test_failed_flushes_count_as_batches_but_not_answers() -> None:
    stats = CommitStats(mode="group")
    stats.add(10, flush_ms=1.0, ok=True)
    stats.add(5, flush_ms=9000.0, ok=False)
    figures = stats.as_dict()
    assert (figures["batches"], figures["failed_batches"], figures["answers"]) == (2, 1, 10)
    assert figures["flush_ms_max"] == 1.0
