"""A file sent to the bot in a private chat: refused at once, or recorded for the worker.

The webhook never downloads: a file is judged by what Telegram says of it
(its name and ``file_size``) and by the sender's quota, and what passes is
recorded in ``uploads`` in the transaction that claims the update, so the
webhook answers at once and a Telegram retry records nothing twice. A caption
``edit <slug>`` names one of the sender's quizzes to edit, checked against the
ownership rule here. The sender's upload worker downloads, imports and
replies (:mod:`quizbot.sender.uploads`).
"""

from __future__ import annotations

from quizbot.domain import uploads
from quizbot.domain.formatting import escape
from quizbot.domain.ownership import Action, Actor
from quizbot.locales import translator
from quizbot.store.languages import chat_language
from quizbot.store.outbox import reply
from quizbot.store.owned import find_quiz, owned_count
from quizbot.store.updates import mark_processed, upsert_chat, upsert_players
from quizbot.store.uploads import record_upload
from quizbot.web.buttons import player_info
from quizbot.web.runtime import Runtime
from quizbot.web.updates import DocumentUpload


def receive_upload(rt: Runtime, doc: DocumentUpload) -> None:
    """Refuse ``doc`` with a reply, or record it for the upload worker; once per update id."""
    with rt.engine.begin() as conn:
        if not mark_processed(conn, doc.update_id):
            return
        upsert_players(conn, [player_info(doc.user)])
        upsert_chat(conn, doc.chat_id, "private", None)
        tr = translator(chat_language(conn, doc.chat_id))
        refused = uploads.refusal(doc.file_name, doc.file_size, tr)
        replaces = None
        if refused is None and (slug := uploads.edit_target(doc.caption)) is not None:
            found = find_quiz(conn, slug, Actor(user_id=doc.user.id), Action.EDIT)
            if found is None:
                refused = tr.gettext(uploads.NOT_YOURS_TO_EDIT).format(slug=escape(slug))
            else:
                replaces = found.id
        quota = rt.settings.quota_quizzes_per_user
        # An edit may end as a copy: the worker counts then.
        if refused is None and replaces is None and owned_count(conn, doc.user.id) >= quota:
            refused = uploads.too_many_quizzes(quota, tr)
        if refused is not None:
            rt.meter.incr("uploads.refused")
            reply(conn, doc.chat_id, refused)
            return
        record_upload(
            conn, doc.user.id, doc.chat_id, doc.file_id, doc.file_name, doc.file_size, replaces
        )
        rt.meter.incr("uploads.recorded")
