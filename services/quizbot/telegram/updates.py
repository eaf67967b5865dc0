"""The update types quizbot asks Telegram for (``allowed_updates``).

Telegram sends nothing else, which saves bandwidth and webhook connections:
a quiz poll's ``poll`` updates, one per vote, would double the webhook's
traffic during a polls game, and the web tier has no use for them.

- ``chat_member``: admins promoted or demoted (the admin list that may /stop a game);
- ``inline_query``: ``@bot <words>`` in any chat (inline mode, enabled with
  BotFather's /setinline).
"""

from __future__ import annotations

ALLOWED_UPDATES = (
    "message",
    "callback_query",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "inline_query",
)
