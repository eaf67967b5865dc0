"""/stats and its buttons: how an author's quiz went, and a finished game's results
as a CSV file.

The page is read-only (the replica answers it while it is fresh); under the
figures, a button per recent game sends that game's results as a CSV
document through the outbox. Only the quiz's owner gets either
(``Action.STATS``): the CSV press is checked against the rule on the quiz its
game played, since callback data comes from a client, and a refused press
reads like a missing game.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from quizbot.domain import limits, myquizzes
from quizbot.domain.callbacks import ResultsData
from quizbot.domain.language import Translator
from quizbot.domain.ownership import Action, Actor
from quizbot.domain.results_csv import (
    EXPORTS_HEAD,
    NO_RESULTS,
    RECENT,
    Keyboard,
    file_name,
    games_keyboard,
    results_csv,
)
from quizbot.domain.statistics import stats_text
from quizbot.store.documents import enqueue_document
from quizbot.store.game_results import finished_games, game_results
from quizbot.store.outbox import notify, reply
from quizbot.store.owned import quiz_by_id
from quizbot.store.statistics import quiz_figures
from quizbot.store.updates import mark_processed
from quizbot.web.runtime import Runtime
from quizbot.web.updates import CallbackPress


def send_stats(rt: Runtime, conn: Connection, chat_id: int, quiz_id: int, tr: Translator) -> None:
    """Queue the quiz's /stats page, with a CSV button per recent game (the caller checked
    that the asker owns the quiz)."""
    text, keyboard = rt.reads.read(lambda reader: _page(reader, quiz_id, tr), primary=conn)
    reply(conn, chat_id, text, keyboard)


def _page(conn: Connection, quiz_id: int, tr: Translator) -> tuple[str, Keyboard | None]:
    text = stats_text(quiz_figures(conn, quiz_id), tr)
    games = finished_games(conn, quiz_id, RECENT)
    below = "\n\n" + tr.gettext(EXPORTS_HEAD)
    if games and len(text) + len(below) <= limits.TEXT_MAX:
        text += below
    return text, games_keyboard(games, tr)


def press_results(rt: Runtime, press: CallbackPress, data: ResultsData, tr: Translator) -> str:
    """Send a finished game's results as CSV to its quiz's owner; returns the toast.

    The file goes to the owner's private chat even when /stats was asked in a
    group: it names every player.
    """
    chat_id = press.user.id
    with rt.engine.begin() as conn:
        if not mark_processed(conn, press.update_id):
            return ""
        results = game_results(conn, data.session_id)
        actor = Actor(user_id=press.user.id)
        found = quiz_by_id(conn, results.quiz_id, actor, Action.STATS) if results else None
        if results is None or found is None:
            return tr.gettext(NO_RESULTS)
        text = results_csv(results.lines, results.question_count)
        # With a byte-order mark, spreadsheets read the names' UTF-8 as UTF-8.
        name = file_name(found.slug, results.game)
        enqueue_document(conn, chat_id, name, text.encode("utf-8-sig"), caption=found.title)
        notify(conn)
    return tr.gettext(myquizzes.EXPORTED)
