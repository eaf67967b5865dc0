"""Slash commands: /start (with deep links), /help, /quizzes, /play, /live, /stop, /top, /me,
/stats (a quiz's figures, for its owner: ``web.stats``).

/language is in ``web.languages``, /newquiz, /done and /cancel in ``web.wizard``. Replies speak the chat's language (``store.languages``).

Each command runs in one transaction on the worker's thread pool. The update id
is claimed first (``processed_updates``), so a Telegram retry has no second
effect; the replies go to the outbox in the same transaction, and a NOTIFY
wakes the sender when it commits.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection

from quizbot.domain import game, limits, replies
from quizbot.domain.events import Stop
from quizbot.domain.formatting import escape
from quizbot.domain.language import N_, Translator
from quizbot.domain.ownership import Action, Actor, may
from quizbot.domain.session import Mode, Style
from quizbot.locales import translator
from quizbot.store import admins, leaderboards, outbox
from quizbot.store.languages import chat_language
from quizbot.store.outbox import reply
from quizbot.store.owned import find_quiz, shared_quiz
from quizbot.store.quizzes import list_quizzes
from quizbot.store.sessions_web import create_session, file_request, lock_chat, lock_session
from quizbot.store.updates import PlayerInfo, mark_processed, upsert_chat, upsert_players
from quizbot.web.languages import language_command
from quizbot.web.lobby import join
from quizbot.web.myquizzes import my_quizzes
from quizbot.web.runtime import Runtime
from quizbot.web.stats import send_stats
from quizbot.web.updates import GROUP_TYPES, Command
from quizbot.web.wizard import COMMANDS as WIZARD_COMMANDS
from quizbot.web.wizard import wizard_command

NEED_SLUG = N_("Which quiz? Send /quizzes to see them, then <code>/{command} slug</code>.")
NO_SUCH_QUIZ = N_("There is no quiz called <code>{slug}</code>. Send /quizzes to see them.")
BUSY = N_("A quiz is already running here. Its host can /stop it.")
SOLO_IN_GROUP = N_(
    'Solo games are played in a private chat with me: <a href="{link}">play it there</a>.'
)
NOTHING_RUNNING = N_("No quiz is running here.")
SHARE_GONE = N_("This share link no longer works: its quiz was deleted.")
STOPPING = admins.STOPPING
CHECKING = N_("⏳ Checking that you are an admin of this group…")

Reply = str | None
Handler = Callable[[Runtime, Connection, Command, Translator], Reply]


def handle_command(rt: Runtime, cmd: Command) -> None:
    """Apply one command and queue its reply, once per update id."""
    handler = HANDLERS.get(cmd.name)
    if handler is None and cmd.chat_type in GROUP_TYPES:
        return  # groups are full of commands for other bots
    with rt.engine.begin() as conn:
        if not mark_processed(conn, cmd.update_id):
            return
        upsert_players(conn, [_player(cmd)])
        upsert_chat(conn, cmd.chat_id, cmd.chat_type, cmd.chat_title)
        tr = translator(chat_language(conn, cmd.chat_id))
        text = (handler or _help)(rt, conn, cmd, tr)
        if text:
            reply(conn, cmd.chat_id, text)


def _player(cmd: Command) -> PlayerInfo:
    user = cmd.user
    return PlayerInfo(user.id, user.first_name, user.username, user.language_code)


def _start(rt: Runtime, conn: Connection, cmd: Command, tr: Translator) -> Reply:
    payload = cmd.args
    if payload.startswith(limits.PLAY_PAYLOAD_PREFIX):
        slug = payload.removeprefix(limits.PLAY_PAYLOAD_PREFIX)
        if cmd.chat_type in GROUP_TYPES:
            # The add-to-group link (?startgroup=play-<slug>) lands here: a lobby.
            return _live_slug(rt, conn, cmd, tr, slug)
        return _play_slug(rt, conn, cmd, tr, slug)
    if payload.startswith(limits.SHARE_PAYLOAD_PREFIX):
        # A share link (?start=q-<token>): the one way into someone's private quiz.
        found = shared_quiz(conn, payload.removeprefix(limits.SHARE_PAYLOAD_PREFIX))
        actor = Actor(user_id=cmd.user.id, shared=True)
        if found is None or not may(actor, Action.PLAY, found.ownership):
            return tr.gettext(SHARE_GONE)
        if cmd.chat_type in GROUP_TYPES:
            return _live_quiz(rt, conn, cmd, tr, found.id)
        return _play_quiz(rt, conn, cmd, tr, found.id)
    if payload.startswith(limits.JOIN_PAYLOAD_PREFIX):
        digits = payload.removeprefix(limits.JOIN_PAYLOAD_PREFIX)
        if digits.isascii() and digits.isdigit() and int(digits) <= limits.SESSION_ID_MAX:
            # The update is claimed already; the welcome message is the reply.
            toast, queued = join(rt, conn, None, int(digits), _player(cmd), cmd.chat_id, tr)
            return None if queued else escape(toast)
    return _help(rt, conn, cmd, tr)


def _help(rt: Runtime, conn: Connection, cmd: Command, tr: Translator) -> Reply:
    return replies.help_text(rt.bot_username, tr)


def _quizzes(rt: Runtime, conn: Connection, cmd: Command, tr: Translator) -> Reply:
    quizzes = list_quizzes(conn, Actor(user_id=cmd.user.id))
    rows = [replies.QuizListing(q.slug, q.title, q.question_count) for q in quizzes]
    return replies.quizzes_text(rows, rt.bot_username, tr)


def _play(rt: Runtime, conn: Connection, cmd: Command, tr: Translator) -> Reply:
    return _play_slug(rt, conn, cmd, tr, cmd.args.split(" ")[0])


def _play_slug(rt: Runtime, conn: Connection, cmd: Command, tr: Translator, slug: str) -> Reply:
    if not slug:
        return tr.gettext(NEED_SLUG).format(command="play")
    if cmd.chat_type != "private":
        link = replies.deep_link(rt.bot_username, limits.PLAY_PAYLOAD_PREFIX + slug)
        return tr.gettext(SOLO_IN_GROUP).format(link=escape(link))
    found = find_quiz(conn, slug, Actor(user_id=cmd.user.id), Action.FIND)
    if found is None:
        return tr.gettext(NO_SUCH_QUIZ).format(slug=escape(slug))
    return _play_quiz(rt, conn, cmd, tr, found.id)


def _play_quiz(rt: Runtime, conn: Connection, cmd: Command, tr: Translator, quiz_id: int) -> Reply:
    if lock_chat(conn, cmd.chat_id) is not None:
        return tr.gettext(BUSY)
    # The writer opens the first question as soon as it sees the start request.
    create_session(conn, quiz_id, Mode.SOLO, cmd.chat_id, cmd.user.id, lobby_s=0)
    return None


def _live(rt: Runtime, conn: Connection, cmd: Command, tr: Translator) -> Reply:
    # /live <slug> [polls|buttons]: the questions come as quiz polls or with
    # buttons; without a word, as the quiz file says (its style: key).
    slug, _, rest = cmd.args.partition(" ")
    word = rest.split()[0].lower() if rest.split() else ""
    style = Style(word) if word in {s.value for s in Style} else None
    return _live_slug(rt, conn, cmd, tr, slug, style)


def _live_slug(
    rt: Runtime,
    conn: Connection,
    cmd: Command,
    tr: Translator,
    slug: str,
    style: Style | None = None,
) -> Reply:
    if not slug:
        return tr.gettext(NEED_SLUG).format(command="live")
    found = find_quiz(conn, slug, Actor(user_id=cmd.user.id), Action.FIND)
    if found is None:
        return tr.gettext(NO_SUCH_QUIZ).format(slug=escape(slug))
    return _live_quiz(rt, conn, cmd, tr, found.id, style)


def _live_quiz(
    rt: Runtime,
    conn: Connection,
    cmd: Command,
    tr: Translator,
    quiz_id: int,
    style: Style | None = None,
) -> Reply:
    if lock_chat(conn, cmd.chat_id) is not None:
        return tr.gettext(BUSY)
    mode = Mode.GROUP if cmd.chat_type in GROUP_TYPES else Mode.PRIVATE
    quiz = rt.quizzes.get(conn, quiz_id)
    style = style or quiz.style
    session_id, now = create_session(
        conn,
        quiz_id,
        mode,
        cmd.chat_id,
        cmd.user.id,
        lobby_s=rt.rules.lobby_timeout_s,
        style=style,
    )
    lobby = game.new_live(
        session_id,
        mode,
        cmd.user.id,
        cmd.chat_id,
        quiz,
        now,
        rt.rules,
        rt.bot_username,
        style,
        tr,
    )
    outbox.enqueue_effects(conn, session_id, lobby.effects)
    return None


def _stop(rt: Runtime, conn: Connection, cmd: Command, tr: Translator) -> Reply:
    session_id = lock_chat(conn, cmd.chat_id)
    locked = lock_session(conn, session_id) if session_id is not None else None
    if locked is None:
        return tr.gettext(NOTHING_RUNNING)
    by_admin = False
    if cmd.chat_type in GROUP_TYPES and cmd.user.id != locked.state.host_id:
        # The admin list is fetched off the hot path; the answer follows when it arrives.
        known = admins.cached_admins(conn, cmd.chat_id)
        if known is None:
            admins.wait_for_admins(conn, cmd.chat_id, cmd.user.id, locked.state.session_id)
            return tr.gettext(CHECKING)
        by_admin = cmd.user.id in known
    quiz = rt.quizzes.get(conn, locked.quiz_id)
    stop = Stop(cmd.user.id, by_admin=by_admin)
    check = game.step(locked.state, stop, locked.now, rt.rules, quiz, tr)
    if not check.accepted:
        return escape(check.reason or tr.gettext(NOTHING_RUNNING))
    file_request(conn, locked.state.session_id, "stop", cmd.user.id)
    return tr.gettext(STOPPING)


def _top(rt: Runtime, conn: Connection, cmd: Command, tr: Translator) -> Reply:
    # A read-only page: the replica answers it while it is fresh.
    return rt.reads.read(lambda reader: _top_text(rt, reader, cmd, tr), primary=conn)


def _top_text(rt: Runtime, conn: Connection, cmd: Command, tr: Translator) -> str:
    slug = cmd.args.split(" ")[0]
    if slug:
        found = find_quiz(conn, slug, Actor(user_id=cmd.user.id), Action.FIND)
        if found is None:
            return tr.gettext(NO_SUCH_QUIZ).format(slug=escape(slug))
        quiz_id = found.id
        board = leaderboards.quiz_top(conn, quiz_id)
        heading = rt.quizzes.get(conn, quiz_id).title
    elif cmd.chat_type in GROUP_TYPES:
        board = leaderboards.chat_top(conn, cmd.chat_id)
        heading = tr.gettext("Top players in {chat}").format(
            chat=cmd.chat_title or tr.gettext("this chat")
        )
    else:
        board = leaderboards.global_top(conn)
        heading = tr.gettext("Top players")
    return replies.top_text(heading, board.rows, board.total, tr)


def _me(rt: Runtime, conn: Connection, cmd: Command, tr: Translator) -> Reply:
    stats = rt.reads.read(lambda reader: leaderboards.player_stats(reader, cmd.user.id), conn)
    return replies.me_text(cmd.user.first_name, stats, tr)


def _stats(rt: Runtime, conn: Connection, cmd: Command, tr: Translator) -> Reply:
    # The owner's alone: anyone else is answered as for a quiz that does not exist.
    slug = cmd.args.split(" ")[0]
    if not slug:
        return tr.gettext(NEED_SLUG).format(command="stats")
    found = find_quiz(conn, slug, Actor(user_id=cmd.user.id), Action.STATS)
    if found is None:
        return tr.gettext(NO_SUCH_QUIZ).format(slug=escape(slug))
    send_stats(rt, conn, cmd.chat_id, found.id, tr)
    return None


def _language(rt: Runtime, conn: Connection, cmd: Command, tr: Translator) -> Reply:
    text, keyboard = language_command(rt, conn, cmd, tr)
    reply(conn, cmd.chat_id, text, keyboard)
    return None


HANDLERS: dict[str, Handler] = {
    "start": _start,
    "help": _help,
    "quizzes": _quizzes,
    "play": _play,
    "live": _live,
    "stop": _stop,
    "top": _top,
    "me": _me,
    "language": _language,
    "stats": _stats,
    "myquizzes": my_quizzes,
    **dict.fromkeys(WIZARD_COMMANDS, wizard_command),
}
