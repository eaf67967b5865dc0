"""A stand-in bot for the swarm's tests: a tiny webhook that records every POST.

It plays just enough of the game for the swarm to run a whole quiz (lobby,
questions, reveal, leaderboard), sending its messages through the real fake
Bot API over HTTP, like the real bot's sender. What it records is what
Telegram's servers would have delivered: headers, bodies and update ids,
every attempt, and how many requests were in flight at once. It can fail
chosen first deliveries with a 500 to exercise Telegram's retries.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from quizbot.domain import render
from quizbot.domain.callbacks import (
    AnswerData,
    CloseEarlyData,
    JoinData,
    StartData,
    decode_callback,
)
from quizbot.domain.quiz import Quiz
from quizbot.domain.results import leaderboard_text
from quizbot.domain.scoring import PlayerTotals, rank
from quizbot.domain.session import Mode

SESSION = 4242
ACCEPTED = render.answer_toast(render.AnswerOutcome.ACCEPTED)


@dataclass
class Posted:
    """One HTTP request the webhook received."""

    headers: dict[str, str]
    body: bytes
    update: dict[str, Any]
    status: int = 200


@dataclass
class StandInBot:
    """The bot side: ``app`` is the webhook; ``sim_url`` the fake Bot API it sends to."""

    sim_url: str
    quiz: Quiz
    questions: int = 2
    hold_s: float = 0.0  # keep each request open this long, so concurrency shows
    fail_first: frozenset[int] = frozenset()  # n-th answer press (0-based): first try gets 500
    posted: list[Posted] = field(default_factory=list)
    players: dict[int, int] = field(default_factory=dict)  # player -> chat for questions
    close_early_chosen: bool = False  # the group host pressed the lobby's close-early option
    answers: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    in_flight: int = 0
    peak: int = 0
    chat: int = 0
    mode: Mode = Mode.GROUP
    _presses: dict[int, int] = field(default_factory=dict)  # update id -> n-th answer press
    _sent: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # position -> msgs

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/telegram/webhook", self.webhook, methods=["POST"])])

    async def webhook(self, request: Request) -> Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            body = await request.body()
            posted = Posted(dict(request.headers), body, orjson.loads(body))
            self.posted.append(posted)
            await asyncio.sleep(self.hold_s)
            response = await self._handle(posted.update)
            posted.status = response.status_code
            return response
        finally:
            self.in_flight -= 1

    async def _handle(self, update: dict[str, Any]) -> Response:
        if "message" in update:
            message = update["message"]
            text: str = message["text"]
            if text.startswith("/live "):
                return await self._live(message["chat"], text.split(" ", 1)[1])
            if text == f"/start join-{SESSION}":
                self.players[message["from"]["id"]] = message["chat"]["id"]
            return Response()
        query = update["callback_query"]
        user = query["from"]["id"]
        data = decode_callback(query["data"])
        if isinstance(data, JoinData):
            self.players[user] = self.chat if self.mode is Mode.GROUP else user
            return _toast(query, "🙌 You're in")
        if isinstance(data, CloseEarlyData):
            self.close_early_chosen = data.on  # the host's lobby option, before Start
            return _toast(query, "⚡ Closing early")
        if isinstance(data, StartData):
            await self._question(0)
            return _toast(query, "▶️ Starting…")
        assert isinstance(data, AnswerData), query["data"]
        nth = self._presses.setdefault(update["update_id"], len(self._presses))
        if nth in self.fail_first and self._first_try(update["update_id"]):
            return Response(status_code=500)
        self.answers.setdefault((user, data.position), (data.option, update["update_id"]))
        if sum(1 for _, p in self.answers if p == data.position) == len(self.players):
            await self._next(data.position)
        return _toast(query, ACCEPTED)

    def _first_try(self, update_id: int) -> bool:
        return sum(1 for p in self.posted if p.update["update_id"] == update_id) == 1

    async def _live(self, chat: dict[str, Any], slug: str) -> Response:
        self.chat = chat["id"]
        if slug != self.quiz.slug:
            await self._send(self.chat, {"text": f"There is no quiz called {slug}."})
            return Response()
        self.mode = Mode.PRIVATE if chat["type"] == "private" else Mode.GROUP
        await self._send(self.chat, render.lobby_message(SESSION, self.mode, self.quiz, "sim_bot"))
        return Response()

    async def _question(self, position: int) -> None:
        question = self.quiz.questions[position]
        params = render.question_message(
            SESSION, position, question, len(self.quiz.questions), self.quiz.title
        )
        for chat in sorted(set(self.players.values())):
            sent = await self._send(chat, params)
            self._sent.setdefault(position, []).append((chat, sent["message_id"]))

    async def _next(self, position: int) -> None:
        question = self.quiz.questions[position]
        reveal = render.reveal_message(
            question, position, len(self.quiz.questions), self.quiz.title
        )
        for chat, message_id in self._sent[position]:
            await self._call(
                "editMessageText", {"chat_id": chat, "message_id": message_id, **reveal}
            )
        if position + 1 < self.questions:
            await self._question(position + 1)
            return
        totals = [PlayerTotals(p, 100, 1, 1, 1000) for p in self.players]
        text = leaderboard_text(self.quiz.title, rank(totals), {}, len(self.players))
        for chat in sorted(set(self.players.values())):
            await self._send(chat, {"text": text, "parse_mode": "HTML"})

    async def _send(self, chat: int, params: dict[str, Any]) -> dict[str, Any]:
        return await self._call("sendMessage", {"chat_id": chat, **params})

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        async with httpx.AsyncClient(timeout=10) as client:
            reply = await client.post(f"{self.sim_url}/bot1:standin/{method}", json=params)
        body = reply.json()
        assert body["ok"], body
        return body["result"]

    def first_tries(self) -> list[Posted]:
        """Each update as first delivered, in arrival order."""
        seen: set[int] = set()
        out = []
        for posted in self.posted:
            if posted.update["update_id"] not in seen:
                seen.add(posted.update["update_id"])
                out.append(posted)
        return out


def _toast(query: dict[str, Any], text: str) -> Response:
    body = {"method": "answerCallbackQuery", "callback_query_id": query["id"], "text": text}
    return Response(orjson.dumps(body), media_type="application/json")
