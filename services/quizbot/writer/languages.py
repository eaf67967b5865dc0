"""A transition's messages in each reader's language.

The session's chat speaks one language (a group's, or the host's private
chat's), so its messages are rendered once. A PRIVATE live game broadcasts to
participants who may speak several: the pure rules are asked once more per
extra language (same state, same event: the same transition, other words), and
each broadcast is narrowed to the participants who read that language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from sqlalchemy.engine import Connection

from quizbot.domain import game
from quizbot.domain.effects import AnyEffect, Effect, Participants
from quizbot.domain.language import Translator
from quizbot.domain.session import Mode
from quizbot.locales import translator
from quizbot.store.languages import chat_language, participant_languages

Rules = Callable[[Translator], game.Transition]


class Speakers:
    """Who reads a session's messages in which language, read once per transition."""

    def __init__(self, conn: Connection, session_id: int, chat_id: int, mode: Mode) -> None:
        self.chat = translator(chat_language(conn, chat_id))
        self._conn = conn
        self._session_id = session_id
        self._mode = mode
        self._participants: dict[str, list[int]] | None = None
        self._by_player: dict[int, str] | None = None

    def participants(self) -> Mapping[str, list[int]]:
        """A PRIVATE session's participants by language (empty for other modes)."""
        if self._participants is None:
            self._participants = {}
            if self._mode is Mode.PRIVATE:
                self._participants = participant_languages(self._conn, self._session_id)
        return self._participants

    def player(self, player_id: int) -> Translator:
        """A PRIVATE session participant's translator (the chat's for anyone else)."""
        if self._by_player is None:
            self._by_player = {
                player: language for language, ids in self.participants().items() for player in ids
            }
        language = self._by_player.get(player_id)
        return self.chat if language is None else translator(language)


def speak(speakers: Speakers, rules: Rules) -> tuple[game.Transition, list[AnyEffect]]:
    """The transition in the chat's language, and its effects with broadcasts per language."""
    base = rules(speakers.chat)
    if not any(
        isinstance(e, Effect) and isinstance(e.audience, Participants) for e in base.effects
    ):
        return base, list(base.effects)
    languages = speakers.participants()
    rendered = {language: rules(translator(language)) for language in languages}
    effects: list[AnyEffect] = []
    for i, effect in enumerate(base.effects):
        if not (isinstance(effect, Effect) and isinstance(effect.audience, Participants)):
            effects.append(effect)
            continue
        for language, ids in languages.items():
            own = rendered[language].effects[i]
            assert isinstance(own, Effect)  # the rules are pure: same event, same effects
            effects.append(replace(own, audience=Participants(frozenset(ids))))
    return base, effects
