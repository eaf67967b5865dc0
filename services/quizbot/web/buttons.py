"""Every inline button but the answers, each run on the worker's thread pool.

An answer goes through the group committer (the hot path, in ``webhook``);
the rest are rare and each does its own small transaction or read. Each
returns the toast sent back in the webhook reply (answerCallbackQuery).
"""

from __future__ import annotations

from quizbot.domain.callbacks import (
    AnotherQuizData,
    CloseEarlyData,
    JoinData,
    LanguageData,
    MyQuizData,
    PlayAgainData,
    QuestionResultData,
    ResultData,
    ResultsData,
    StartData,
)
from quizbot.locales import translator
from quizbot.store.languages import chat_language, player_language
from quizbot.store.updates import PlayerInfo
from quizbot.web.again import press_another_quiz, press_play_again
from quizbot.web.languages import press_language
from quizbot.web.lobby import press_close_early, press_join, press_start
from quizbot.web.myquizzes import press_my_quiz
from quizbot.web.personal import my_result, question_result
from quizbot.web.runtime import Runtime
from quizbot.web.stats import press_results
from quizbot.web.updates import GROUP_TYPES, CallbackPress, User

ButtonData = (
    JoinData
    | StartData
    | CloseEarlyData
    | ResultData
    | QuestionResultData
    | PlayAgainData
    | AnotherQuizData
    | LanguageData
    | MyQuizData
    | ResultsData
)

# The statsd counter of each button (updates.<name>).
COUNTERS: dict[type, str] = {
    JoinData: "join",
    StartData: "start",
    CloseEarlyData: "close_early",
    ResultData: "my_result",
    QuestionResultData: "question_result",
    PlayAgainData: "play_again",
    AnotherQuizData: "another_quiz",
    LanguageData: "language",
    MyQuizData: "my_quiz",
    ResultsData: "results_csv",
}


def player_info(user: User) -> PlayerInfo:
    """The player row a press or vote refreshes."""
    return PlayerInfo(user.id, user.first_name, user.username, user.language_code)


def _language(rt: Runtime, press: CallbackPress, player: PlayerInfo) -> str:
    """A toast speaks its chat's language: a group's, or in private the player's own."""
    with rt.engine.connect() as conn:
        if press.chat_type in GROUP_TYPES and press.chat_id is not None:
            return chat_language(conn, press.chat_id)
        return player_language(conn, player.id, player.language_code)


def press_button(rt: Runtime, press: CallbackPress, data: ButtonData) -> str:
    """Apply one button press and return its toast (blocking)."""
    # A press in the player's private chat clears a block mark on that chat.
    private = press.chat_type == "private"
    player = player_info(press.user)
    tr = translator(_language(rt, press, player))
    match data:
        case JoinData():
            return press_join(rt, press.update_id, data.session_id, player, tr, private)
        case StartData():
            return press_start(rt, press.update_id, data.session_id, player, tr, private)
        case CloseEarlyData():
            return press_close_early(rt, press.update_id, data.session_id, player, data.on)
        # How the player did: read-only, answered in the reply, no outbox row.
        case ResultData():
            return my_result(rt, data.session_id, player.id, tr)
        case QuestionResultData():
            return question_result(rt, data.session_id, data.position, player.id, tr)
        case PlayAgainData():
            return press_play_again(rt, press, data.session_id, tr)
        case AnotherQuizData():
            return press_another_quiz(rt, press, tr)
        case LanguageData():
            return press_language(rt, press, data, player, tr)
        case MyQuizData():
            return press_my_quiz(rt, press, data, tr)
        case ResultsData():
            return press_results(rt, press, data, tr)
