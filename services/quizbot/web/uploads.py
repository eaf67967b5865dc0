"""A file sent to the bot in a private chat: refused at once, or recorded for the worker.

The webhook never downloads: a file is judged by what Telegram says of it
(its name and ``file_size``) and by the sender's quota, and what passes is
written to ``uploads`` in the transaction that claims the update, so the
webhook answers at once and a Telegram retry records nothing twice. The
sender's upload worker downloads, imports and replies
(:mod:`quizbot.sender.uploads`).
"""

from __future__ import annotations

from quizbot.domain import uploads
from quizbot.locales import translator
from quizbot.store.languages import chat_language
from quizbot.store.outbox import reply
from quizbot.store.owned import owned_count
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
        quota = rt.settings.quota_quizzes_per_user
        if refused is None and owned_count(conn, doc.user.id) >= quota:
            refused = uploads.too_many_quizzes(quota, tr)
        if refused is not None:
            rt.meter.incr("uploads.refused")
            reply(conn, doc.chat_id, refused)
            return
        record_upload(conn, doc.user.id, doc.chat_id, doc.file_id, doc.file_name, doc.file_size)
        rt.meter.incr("uploads.recorded")
