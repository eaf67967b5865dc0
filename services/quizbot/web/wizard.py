"""/newquiz in a private chat: each message or press applied to the stored draft.

The conversation itself is pure (``domain.wizard``); this module runs one step
of it per update, in one transaction on the worker's thread pool: the user's
draft row is locked and counted (``store.drafts``), the update id is claimed
(``processed_updates``), the new draft is stored and the reply queued in the
outbox. So a Telegram retry has no second effect, and a restart of any
program, or a day's pause, resumes the draft where the last step left it.

A user may send ``WIZARD_MESSAGES_PER_MIN`` wizard updates a minute: the next
one gets a single "slow down" reply and is not applied; later ones in the
same minute get nothing. The count lives in the draft row, so the limit holds
across web workers, and a flood locks only its own user's row.

/done, and the last press that saves the quiz, are refused while the user
keeps ``QUOTA_QUIZZES_PER_USER`` quizzes (the quota a file upload meets too);
the draft stays as it was, to be finished once a quiz is deleted.

✏️ Edit on a /myquizzes card starts the same kind of draft over a stored quiz
(``domain.editing``). Each change it finishes is stored at once: into the
quiz while no session has used it (``store.quizzes.replace_content``, as an
edit by file), into a copy after that, the copy then being the one edited.
A new quiz under way must be finished or cancelled first: one draft a user.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.engine import Connection

from quizbot.domain import editing, myquizzes, prompts, uploads, wizard
from quizbot.domain.draft import Draft
from quizbot.domain.formatting import escape
from quizbot.domain.language import N_, Translator
from quizbot.domain.ownership import Action, Actor
from quizbot.domain.prompts import PREFIX, Prompt
from quizbot.domain.quiz import Quiz
from quizbot.domain.replies import deep_link
from quizbot.locales import translator
from quizbot.store.drafts import Claim, continue_draft, open_draft, save_draft
from quizbot.store.languages import player_language
from quizbot.store.outbox import reply
from quizbot.store.owned import FoundQuiz, owned_count, quiz_by_id
from quizbot.store.quizzes import load_quiz, played, replace_content, save_owned_quiz
from quizbot.store.updates import PlayerInfo, mark_processed, upsert_players
from quizbot.web.runtime import Runtime
from quizbot.web.updates import CallbackPress, Command, PrivateText, User

COMMANDS = ("newquiz", "done", "cancel")
SLOW_DOWN = N_("🐢 Slow down: at most {count} messages a minute. Send that one again in a minute.")
IN_PRIVATE = N_('Quizzes are made in a private chat with me: <a href="{link}">open it</a>.')
NO_DRAFT = N_("No quiz is being made. Send /newquiz to start one.")
FINISH_FIRST = N_("Finish the quiz you are making (/done) or drop it (/cancel) first.")
COPIED = N_(
    "<b>{title}</b> has been played, so its questions stay as they were. You are "
    "editing a copy: <code>{slug}</code>."
)


def is_wizard_button(data: str | None) -> bool:
    """Whether a press is one of the wizard's buttons (``w:`` callback data)."""
    return data is not None and data.startswith(PREFIX)


def wizard_command(rt: Runtime, conn: Connection, cmd: Command, tr: Translator) -> str | None:
    """/newquiz, /done or /cancel, in ``handle_command``'s transaction (update claimed)."""
    if cmd.chat_type != "private":
        if cmd.name != "newquiz":
            return None  # a group's /done or /cancel may be for another bot
        link = deep_link(rt.bot_username, "")
        return tr.gettext(IN_PRIVATE).format(link=link)
    claim = open_draft(conn, cmd.user.id)
    if _limited(rt, conn, cmd.chat_id, claim, tr):
        return None
    if cmd.name == "newquiz":
        if claim.draft is None:
            _apply(rt, conn, cmd.user, cmd.chat_id, wizard.start(tr), tr)
        else:  # a draft under way is resumed, not replaced: /cancel drops it
            _send(conn, cmd.chat_id, _resume(claim.draft, tr))
        return None
    if claim.draft is None:
        return tr.gettext(NO_DRAFT)
    new_quiz = claim.draft.editing is None
    if cmd.name == "done" and new_quiz and _over_quota(rt, conn, cmd.user.id):
        return _quota_refusal(rt, tr)
    event = wizard.Done() if cmd.name == "done" else wizard.Cancel()
    _apply(rt, conn, cmd.user, cmd.chat_id, _step_of(rt, claim.draft, event, tr), tr)
    return None


def start_edit(
    rt: Runtime, conn: Connection, user: User, chat_id: int, found: FoundQuiz, tr: Translator
) -> None:
    """✏️ Edit on a /myquizzes card, in the press's transaction (claimed, the rule checked)."""
    claim = open_draft(conn, user.id)
    if _limited(rt, conn, chat_id, claim, tr):
        return
    if claim.draft is not None and claim.draft.editing is None:
        _send(conn, chat_id, prompts.resume(claim.draft, tr))
        reply(conn, chat_id, tr.gettext(FINISH_FIRST))
        return
    stored = load_quiz(conn, found.id)
    quiz_id, before = found.id, ""
    if played(conn, found.id):
        copy = _copy(rt, conn, user.id, chat_id, stored, tr)
        if copy is None:
            return
        quiz_id, before = copy
    turn = editing.begin(quiz_id, stored.title, stored.questions, tr, before)
    _apply(rt, conn, user, chat_id, turn, tr)


def wizard_text(rt: Runtime, update: PrivateText) -> None:
    """A text in a private chat: the next step of the sender's draft, if one is under way."""
    _step(rt, update.update_id, update.user, update.chat_id, wizard.Text(update.text))


def wizard_press(rt: Runtime, press: CallbackPress) -> str:
    """A wizard button: the next step of the presser's draft. Returns no toast text:
    the reply is the next prompt, a message of its own."""
    chat_id = press.chat_id if press.chat_id is not None else press.user.id
    _step(rt, press.update_id, press.user, chat_id, wizard.Press(press.data or ""))
    return ""


def _step(rt: Runtime, update_id: int, user: User, chat_id: int, event: wizard.Event) -> None:
    with rt.engine.begin() as conn:
        if not mark_processed(conn, update_id):
            return
        claim = continue_draft(conn, user.id)
        if claim is None or claim.draft is None:
            return  # not a wizard message: another text, or a stale button
        tr = translator(player_language(conn, user.id, user.language_code))
        if _limited(rt, conn, chat_id, claim, tr):
            return
        upsert_players(
            conn, [PlayerInfo(user.id, user.first_name, user.username, user.language_code)]
        )
        _apply(rt, conn, user, chat_id, _step_of(rt, claim.draft, event, tr), tr)


def _step_of(rt: Runtime, draft: Draft, event: wizard.Event, tr: Translator) -> wizard.Turn:
    """The next turn of a new quiz, or of an edit, within the per-quiz question quota."""
    conversation = editing.step if draft.editing is not None else wizard.step
    return conversation(draft, event, tr, rt.settings.quota_questions_per_quiz)


def _resume(draft: Draft, tr: Translator) -> Prompt:
    return editing.resume(draft, tr) if draft.editing is not None else prompts.resume(draft, tr)


def _limited(rt: Runtime, conn: Connection, chat_id: int, claim: Claim, tr: Translator) -> bool:
    limit = rt.settings.wizard_messages_per_min
    if claim.count <= limit:
        return False
    rt.meter.incr("wizard.limited")
    if claim.count == limit + 1:  # one warning a minute, not one per message
        reply(conn, chat_id, tr.gettext(SLOW_DOWN).format(count=limit))
    return True


def _over_quota(rt: Runtime, conn: Connection, user_id: int) -> bool:
    """Whether the user keeps their quota of quizzes already."""
    if owned_count(conn, user_id) < rt.settings.quota_quizzes_per_user:
        return False
    rt.meter.incr("wizard.over_quota")
    return True


def _quota_refusal(rt: Runtime, tr: Translator) -> str:
    quota = rt.settings.quota_quizzes_per_user
    return uploads.too_many_quizzes(quota, tr) + "\n" + tr.gettext(prompts.QUOTA_KEPT)


def _copy(
    rt: Runtime, conn: Connection, user_id: int, chat_id: int, quiz: Quiz, tr: Translator
) -> tuple[int, str] | None:
    """A played quiz's copy to edit, with the words that say so; None over the quota."""
    if _over_quota(rt, conn, user_id):
        reply(conn, chat_id, uploads.too_many_quizzes(rt.settings.quota_quizzes_per_user, tr))
        return None
    saved = save_owned_quiz(conn, quiz, user_id)
    said = tr.gettext(COPIED).format(title=escape(quiz.title), slug=escape(saved.slug))
    return saved.quiz_id, said


def _store_edit(
    rt: Runtime, conn: Connection, user: User, chat_id: int, turn: wizard.Turn, tr: Translator
) -> wizard.Turn:
    """Store an edit's change; the turn to go on with (a draft None: the edit ends)."""
    assert turn.draft is not None and turn.draft.editing is not None and turn.quiz is not None
    target = quiz_by_id(conn, turn.draft.editing, Actor(user_id=user.id), Action.EDIT)
    if target is None:  # deleted meanwhile
        return wizard.Turn(None, Prompt(tr.gettext(myquizzes.NOT_YOURS)))
    stored = load_quiz(conn, target.id)
    changed = dataclasses.replace(stored, title=turn.quiz.title, questions=turn.quiz.questions)
    if not played(conn, target.id):
        replace_content(conn, target.id, changed)
        return turn
    # Played since the edit began: the change goes into a copy, edited from now on.
    copy = _copy(rt, conn, user.id, chat_id, changed, tr)
    if copy is None:
        return wizard.Turn(None, Prompt(""))
    quiz_id, said = copy
    draft = dataclasses.replace(turn.draft, editing=quiz_id)
    return wizard.Turn(draft, editing.menu(draft, said, tr))


def _apply(
    rt: Runtime, conn: Connection, user: User, chat_id: int, turn: wizard.Turn, tr: Translator
) -> None:
    if turn.quiz is not None and turn.draft is not None:  # an edit's change: stored now
        turn = dataclasses.replace(_store_edit(rt, conn, user, chat_id, turn, tr), quiz=None)
    elif turn.quiz is not None and _over_quota(rt, conn, user.id):
        # A file imported since /done filled the quota: the draft waits, unchanged.
        reply(conn, chat_id, _quota_refusal(rt, tr))
        return
    save_draft(conn, user.id, turn.draft)
    if turn.quiz is None:
        if turn.prompt.text:
            _send(conn, chat_id, turn.prompt)
        return
    saved = save_owned_quiz(conn, turn.quiz, user.id)
    text = prompts.ready(turn.quiz.title, saved.slug, len(turn.quiz.questions), tr)
    reply(conn, chat_id, text)


def _send(conn: Connection, chat_id: int, prompt: Prompt) -> None:
    keyboard: dict[str, object] | None = None
    if prompt.buttons:
        rows = [
            [{"text": label, "callback_data": data} for label, data in row]
            for row in prompt.buttons
        ]
        keyboard = {"inline_keyboard": rows}
    reply(conn, chat_id, prompt.text, keyboard)
