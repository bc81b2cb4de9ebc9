"""Seq gaps per (connection, topic): the one tracker and its rules."""

import numpy as np

from inspector.protocol import gaps
from inspector.protocol.gaps import SeqGaps


def test_first_message_of_a_key_has_no_gap_then_jumps_are_counted():
    g = SeqGaps()
    key = ("c1", "a")
    assert g.message(key, 5) == (0, False)
    assert g.message(key, 6) == (0, False)
    assert g.message(key, 9) == (2, False)    # 7 and 8 missed
    assert g.message(key, 4) == (-6, False)   # went back
    assert g.message(key, 4) == (-1, False)   # the same seq again


def test_keys_are_independent():
    g = SeqGaps()
    g.message(("c1", "a"), 1)
    assert g.message(("c2", "a"), 10) == (0, False)
    assert g.message(("c1", "b"), 10) == (0, False)
    assert g.message(("c1", "a"), 3) == (1, False)


def test_a_filtered_subscription_expects_forward_gaps_only():
    g = SeqGaps()
    key = (0, 1)
    g.subscribed(key, True)
    assert g.is_filtered(key)
    g.message(key, 1)
    assert g.message(key, 4) == (2, True)
    assert g.message(key, 2) == (-3, False)  # back is never what a filter does
    g.subscribed(key, False)                 # refiltered without a filter: a jump is a loss again
    assert g.message(key, 5) == (2, False)


def test_resubscribing_keeps_the_last_seq_and_reset_forgets_everything():
    g = SeqGaps()
    g.subscribed("k", True)
    g.message("k", 10)
    g.subscribed("k", True)                  # the server's seq kept counting
    assert g.message("k", 15) == (4, True)
    g.reset()
    assert not g.is_filtered("k")
    assert g.message("k", 99) == (0, False)


def test_runs_for_vectorised_callers_match_message_by_message():
    seqs = [3, 4, 7, 7, 2, 3]
    one = SeqGaps()
    one.message("k", 1)
    expected = [one.message("k", s)[0] for s in seqs]
    run = SeqGaps()
    run.message("k", 1)
    s = np.array(seqs, np.int64)
    prev = np.empty_like(s)
    prev[1:] = s[:-1]
    prev[0] = run.before("k", seqs[0])
    jump = gaps.jump(prev, s)
    run.ran_to("k", seqs[-1])
    assert jump.tolist() == expected
    assert run.message("k", 8) == one.message("k", 8)
    assert gaps.expected(jump, True).tolist() == [j > 0 for j in expected]
    assert not gaps.expected(jump, False).any()


def test_a_new_key_starts_a_run_without_a_jump():
    assert SeqGaps().before("new", 50) == 49
    assert gaps.jump(49, 50) == 0
