"""Quiz polls: which poll asks which question of which session.

A ``poll_answer`` update carries the poll id and the voter, nothing else: no
chat, no message. The sender writes each poll id here when ``sendPoll``
returns it (``record_polls``, in the batch that records the row as sent), and
the web tier's group commit finds the session and question of a batch's votes
with one index probe per poll (``poll_questions``), with no Bot API call, and
keeps what it found (``PollMap``): a poll's question never changes, so only
the first batch that meets a poll pays the extra statement. A vote for a poll
not recorded yet is held and applied when it is (``store.held_votes``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from quizbot.domain.effects import parse_question_ref
from quizbot.store import held_votes


@dataclass(frozen=True, slots=True)
class SentPoll:
    """A poll Telegram accepted: its id, and the outbox ref of the question it asks."""

    poll_id: str
    chat_id: int
    ref: str | None


# RECORD_POLLS: a batch of sent polls in one statement. A poll id is Telegram's
# and unique; a resend after a lost result makes a new poll with a new id, so
# ON CONFLICT only absorbs a result written twice. A session already purged
# (nothing joins) is skipped rather than failing the sender's whole batch.
RECORD_POLLS = sa.text(
    """
    INSERT INTO polls (poll_id, session_id, position, chat_id)
    SELECT v.poll_id, v.session_id, v.position, v.chat_id
    FROM jsonb_to_recordset(CAST(:rows AS jsonb))
         AS v(poll_id text, session_id bigint, position smallint, chat_id bigint)
    JOIN sessions s ON s.id = v.session_id
    ON CONFLICT (poll_id) DO NOTHING
    """
)

# POLL_QUESTIONS: the session and question of each voted poll. Read-only and
# unlocked: the group insert that follows checks that the question is still
# open, under its session lock, like a button press's.
POLL_QUESTIONS = sa.text(
    """
    SELECT poll_id, session_id, position FROM polls
    WHERE poll_id = ANY(CAST(:poll_ids AS text[]))
    """
)


def record_polls(conn: Connection, polls: Sequence[SentPoll]) -> int:
    """Store the polls that ask a question (others are ignored); how many rows were new.

    The votes held for them (arrived before this) are applied in the same
    transaction, under the lock that keeps new ones from being held meanwhile.
    """
    rows: list[dict[str, str | int]] = []
    for poll in polls:
        question = parse_question_ref(poll.ref)
        if question is not None:
            session_id, position = question
            rows.append(
                {
                    "poll_id": poll.poll_id,
                    "session_id": session_id,
                    "position": position,
                    "chat_id": poll.chat_id,
                }
            )
    if not rows:
        return 0
    held_votes.lock_for_recording(conn)
    result = conn.execute(RECORD_POLLS, {"rows": orjson.dumps(rows).decode()})
    held_votes.apply(conn, [str(row["poll_id"]) for row in rows])
    return int(result.rowcount or 0)


def poll_questions(conn: Connection, poll_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """poll_id -> (session id, position) for the polls the bot sent; unknown ids are absent."""
    rows = conn.execute(POLL_QUESTIONS, {"poll_ids": list(poll_ids)})
    return {str(poll_id): (int(sid), int(pos)) for poll_id, sid, pos in rows}


@dataclass
class PollMap:
    """poll_id -> (session id, position), remembered per process; unknown ids are asked again.

    An id not found yet may be recorded a moment later (the sender's result
    batch), so only found ids are kept; ``size`` bounds the memory.
    """

    size: int = 10_000
    _known: OrderedDict[str, tuple[int, int]] = field(default_factory=OrderedDict)

    def find(self, conn: Connection, poll_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """The question of each of ``poll_ids`` the bot sent; asks the database only for misses."""
        found = {p: self._known[p] for p in poll_ids if p in self._known}
        missing = [p for p in poll_ids if p not in found]
        if missing:
            fetched = poll_questions(conn, missing)
            found.update(fetched)
            self.remember(fetched)
        return found

    def remember(self, found: dict[str, tuple[int, int]]) -> None:
        """Keep polls found elsewhere (``held_votes.hold`` returns some)."""
        self._known.update(found)
        while len(self._known) > self.size:
            self._known.popitem(last=False)
