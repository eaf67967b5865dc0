"""Telegram's size limits and the quiz format's own limits, in one place.

The quiz format is built so that every valid quiz can be played with inline
buttons *and* as a native quiz poll, so several quiz limits are Telegram's
poll limits (Bot API `sendPoll`).
"""

# Telegram Bot API
TEXT_MAX = 4096  # sendMessage / editMessageText text, after entity parsing
CALLBACK_DATA_MAX_BYTES = 64  # InlineKeyboardButton.callback_data
CALLBACK_ANSWER_TEXT_MAX = 200  # answerCallbackQuery text
START_PAYLOAD_MAX = 64  # /start deep-link parameter, characters A-Za-z0-9_-
POLL_QUESTION_MAX = 300
POLL_OPTION_MAX = 100
EXPLANATION_MAX = 200  # quiz poll explanation
OPTIONS_MIN = 2
OPTIONS_MAX = 12
TIME_LIMIT_MIN = 5  # poll open_period
TIME_LIMIT_MAX = 600

# Quiz format
TITLE_MAX = 128
DESCRIPTION_MAX = 512
SLUG_MAX = 40
QUESTIONS_MIN = 1
QUESTIONS_MAX = 100
QUESTION_MAX = POLL_QUESTION_MAX
OPTION_MAX = POLL_OPTION_MAX
TIME_LIMIT_DEFAULT = 20

# Sessions are PostgreSQL bigint identities.
SESSION_ID_MAX = 2**63 - 1

# Deep links: `play-<slug>` starts a quiz, `join-<session>` joins a live one.
PLAY_PAYLOAD_PREFIX = "play-"
JOIN_PAYLOAD_PREFIX = "join-"
# `q-<token>` plays a quiz through its share link (a 22-character token).
SHARE_PAYLOAD_PREFIX = "q-"
SHARE_TOKEN_LEN = 22
assert len(SHARE_PAYLOAD_PREFIX) + SHARE_TOKEN_LEN <= START_PAYLOAD_MAX
# 5 + 40 = 45 and 5 + 19 = 24 characters, both within the 64 allowed.
assert len(PLAY_PAYLOAD_PREFIX) + SLUG_MAX <= START_PAYLOAD_MAX
assert len(JOIN_PAYLOAD_PREFIX) + len(str(SESSION_ID_MAX)) <= START_PAYLOAD_MAX

# The longest answer button is `a:<session>:<position>:<option>` with a
# 19-digit session id, a position below QUESTIONS_MAX (2 digits) and an
# option below OPTIONS_MAX (2 digits): 2 + 19 + 1 + 2 + 1 + 2 = 27 bytes,
# well within Telegram's 64. Raising the quiz limits must keep this true.
ANSWER_CALLBACK_MAX_BYTES = (
    len("a:")
    + len(str(SESSION_ID_MAX))
    + len(":")
    + len(str(QUESTIONS_MAX - 1))
    + len(":")
    + len(str(OPTIONS_MAX - 1))
)
assert ANSWER_CALLBACK_MAX_BYTES == 27
# A translated question's buttons add `:<language>` (at most 4 bytes): 31.
assert ANSWER_CALLBACK_MAX_BYTES + len(":xxx") <= CALLBACK_DATA_MAX_BYTES
