"""The player swarm: N simulated Telegram users playing one live quiz.

It plays the way people do, through Telegram only, and it is a thin layer
over the simulator's scripted users: each player is a user of the fake Bot
API's control API (:mod:`quizbot.sim.users`), the host and the players are in
one group (or each in their private chat), and every join and answer is a
``send`` or a ``press`` of that API. The fake API delivers the resulting
updates to the bot's webhook as Telegram does (:mod:`quizbot.sim.api.delivery`:
the secret header, ``max_connections``, retries) and puts each outcome on its
feed, where the swarm reads whether it was acknowledged and with which toast.

The host sends ``/live <slug>``; the players read the lobby the bot delivers
and join (the Join button in a group, the ``join-<session>`` link in their
private chats); the host presses Start; then each player who receives a
question thinks for a while and presses a button. Every join and answer is
kept as ground truth in a :class:`SwarmReport`.

One event loop carries it all: one task reads the fake Bot API's feed, each
player's thinking is a timer on the loop, and a task exists only while an
action waits for its outcome. A thousand players cost a few percent of a core.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp

from quizbot.sim.api.webhook import Sent
from quizbot.sim.swarm.answers import AnswerKey, choose, load_answer_key
from quizbot.sim.swarm.config import SwarmConfig
from quizbot.sim.swarm.messages import (
    Lobby,
    QuestionCard,
    is_closed_lobby,
    is_results,
    read_lobby,
    read_question,
)
from quizbot.sim.swarm.report import AnswerRecord, JoinRecord, SwarmReport
from quizbot.sim.users.async_client import AsyncSimClient, AsyncUser, ControlRefused
from quizbot.sim.users.feed import Delivery, FeedReader
from quizbot.telegram.updates import ALLOWED_UPDATES

__all__ = ["Swarm", "SwarmConfig", "SwarmReport", "run_swarm"]

log = logging.getLogger(__name__)

# Control requests in flight at once: enough for a thousand players' presses.
CONTROL_CONNECTIONS = 100
Action = Callable[[], Awaitable[dict[str, Any]]]


class Swarm:
    """A running swarm; :meth:`run` plays one quiz and returns the report."""

    def __init__(self, config: SwarmConfig, on_event: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.on_event = on_event or (lambda text: log.info("%s", text))
        self.rng = random.Random(config.seed)
        self.users: list[AsyncUser] = []  # created on the fake API when the run starts
        self.by_id: dict[int, AsyncUser] = {}
        # Late joiners skip the lobby: the swarm's last players, never the host.
        first_late = config.first_user_id + config.players - config.late_joiners
        self.late = set(range(first_late, config.first_user_id + config.players))
        self.lobby_players: list[AsyncUser] = []
        self.group_id = config.group_chat_id
        self.key: AnswerKey | None = load_answer_key(config.quiz, config.answers_file)
        self.report = SwarmReport(config.players, config.mode, config.quiz)
        self.lobby: Lobby | None = None
        self.lobby_at: tuple[int, int] | None = None  # (chat, message) of the lobby
        self.started = False
        self.joins_done = 0
        self.joined: set[int] = set()
        self.closed: set[tuple[int, int]] = set()  # (chat, message) whose buttons are gone
        self.results: set[int] = set()
        self.left: set[int] = set()  # players who blocked the bot: they play no more
        self.done = asyncio.Event()
        self._timers: list[asyncio.TimerHandle] = []
        self._posts: set[asyncio.Task[Any]] = set()
        # update_id -> what the webhook made of it: awaited, or arrived first on the feed
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._outcomes: dict[int, dict[str, Any]] = {}

    @property
    def host(self) -> AsyncUser:
        """The player who opens the live quiz and starts it."""
        return self.users[0]

    @property
    def private(self) -> bool:
        """Whether each player plays in their own private chat."""
        return self.config.mode == "private"

    def stop(self, reason: str = "stopped") -> None:
        """End the run early (e.g. on SIGTERM); :meth:`run` returns the report so far."""
        if not self.done.is_set():
            self.report.errors.append(reason)
            self.done.set()

    async def run(self) -> SwarmReport:
        """Play the quiz until its leaderboard arrives, the run stops or times out."""
        cfg = self.config
        report = self.report
        if self.key is None:
            log.warning("no answer key for quiz %r: players will press at random", cfg.quiz)
        report.started_at = time.time()
        async with (
            FeedReader(cfg.api_url) as feed,
            # Brief: of each action's update the swarm needs only the id.
            AsyncSimClient(cfg.api_url, connections=CONTROL_CONNECTIONS, brief=True) as sim,
        ):
            await feed.skip_to_end()
            await self._setup(sim)
            reader = asyncio.create_task(self._read(feed), name="swarm-feed")
            reader.add_done_callback(self._reader_ended)
            watcher = asyncio.create_task(self._watch_blocks(feed), name="swarm-blocks")
            style = " polls" if cfg.style == "polls" else ""
            self._command(self.host, f"/live {cfg.quiz}{style}")
            try:
                async with asyncio.timeout(cfg.timeout_s):
                    await self.done.wait()
            except TimeoutError:
                report.timed_out = True
                report.errors.append(f"timed out after {cfg.timeout_s:g} s")
            finally:
                for timer in self._timers:
                    timer.cancel()
                await self._drain(reader)
                reader.cancel()
                watcher.cancel()
            stats = await sim.request("GET", "/sim/stats")
            report.max_in_flight = int(stats.get("webhook_peak_in_flight", 0))
        report.ended_at = time.time()
        self.on_event(f"done: {report.answers_acknowledged}/{report.answers_sent} answers acked")
        return report

    async def _setup(self, sim: AsyncSimClient) -> None:
        """The players as users of the fake API, their group, and the bot's webhook."""
        cfg = self.config
        ids = [cfg.first_user_id + i for i in range(cfg.players)]
        self.users = list(await asyncio.gather(*(self._user(sim, i) for i in ids)))
        self.by_id = {user.id: user for user in self.users}
        self.lobby_players = [u for u in self.users if u.id not in self.late]
        if not self.private:
            try:
                await sim.group("Quiz night", self.users, chat_id=self.group_id)
            except ControlRefused as exc:
                if "exists" not in exc.error:  # an earlier run's group: the players are in it
                    raise
        # The update types quizbot's own set-webhook asks for: no poll updates.
        hook: dict[str, Any] = {
            "url": cfg.webhook_url,
            "max_connections": cfg.max_connections,
            "allowed_updates": list(ALLOWED_UPDATES),
        }
        if cfg.secret:
            hook["secret_token"] = cfg.secret
        await sim.request("POST", f"/bot{cfg.token}/setWebhook", hook)

    async def _user(self, sim: AsyncSimClient, user_id: int) -> AsyncUser:
        name = f"Player {user_id - self.config.first_user_id + 1}"
        try:
            return await sim.user(name, id=user_id, username=f"player{user_id}")
        except ControlRefused as exc:
            if exc.field != "id":
                raise
            # An earlier run against the same fake API created them: same players.
            return AsyncUser(sim, {"id": user_id, "first_name": name})

    async def _drain(self, reader: asyncio.Task[None], grace_s: float = 5.0) -> None:
        # Updates still being delivered get a grace period (the feed reader
        # goes on, to hear their outcome); their records stay in the report
        # either way, acknowledged or not.
        if self._posts and not reader.done():
            _, pending = await asyncio.wait(set(self._posts), timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def _reader_ended(self, task: asyncio.Task[None]) -> None:
        # Without the feed the players are blind: end the run instead of waiting it out.
        if not task.cancelled() and task.exception() is not None:
            self.stop(f"the feed reader died: {task.exception()!r}")

    def _command(self, user: AsyncUser, text: str) -> None:
        """``user`` sends a ``/command`` in the game's chat (in the background)."""
        chat_id = None if self.private else self.group_id
        sent = Sent(0, time.time())
        self.report.commands.append(sent)
        self._spawn(self._deliver(lambda: user.send(text, chat_id), sent, None))

    async def _deliver(self, action: Action, sent: Sent, then: Callable[[], None] | None) -> None:
        """Do ``action`` on the fake API, then wait for the webhook's outcome of its update."""
        try:
            update = await action()
        except (ControlRefused, aiohttp.ClientError, TimeoutError) as exc:
            sent.error = f"the simulator refused the action: {exc}"
        else:
            sent.update_id = update["update_id"]
            outcome = self._outcomes.pop(sent.update_id, None)
            if outcome is None:
                waiter = asyncio.get_running_loop().create_future()
                self._waiting[sent.update_id] = waiter
                try:
                    outcome = await waiter
                finally:
                    self._waiting.pop(sent.update_id, None)
            sent.status, sent.retries = outcome["status"], outcome["retries"]
            sent.error, sent.toast = outcome["error"], outcome["toast"]
            if outcome["acknowledged"]:
                sent.acked_at, sent.ack_ms = outcome["acked_at"], outcome["ack_ms"]
        if not sent.acknowledged:
            self.report.errors.append(f"update {sent.update_id} not acknowledged: {sent.error}")
        if then is not None:
            then()

    def _outcome(self, outcome: dict[str, Any]) -> None:
        waiter = self._waiting.pop(outcome["update_id"], None)
        if waiter is None:  # the feed was quicker than the action's own answer
            self._outcomes[outcome["update_id"]] = outcome
        elif not waiter.done():
            waiter.set_result(outcome)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._posts.add(task)
        task.add_done_callback(self._posts.discard)

    # -- what the players see ----------------------------------------------

    async def _read(self, feed: FeedReader) -> None:
        while True:
            for delivery in await feed.next_batch():
                self._see(delivery)

    async def _watch_blocks(self, feed: FeedReader, every_s: float = 0.25) -> None:
        # Whoever blocks the bot (a chaos run tells the fake API so) stops playing
        # and expects no results; in private mode the run ends without them.
        while not self.done.is_set():
            await asyncio.sleep(every_s)
            try:
                blocked = await feed.blocked()
            except (aiohttp.ClientError, TimeoutError, ValueError):
                continue
            newly = (blocked & self.by_id.keys()) - self.left
            if newly:
                self.left |= newly
                self.on_event(f"{len(newly)} players blocked the bot")
                self._check_finished()

    def _mine(self, chat_id: int) -> bool:
        return chat_id in self.by_id if self.private else chat_id == self.group_id

    def _see(self, d: Delivery) -> None:
        if d.webhook is not None:
            self._outcome(d.webhook)
            return
        if self.done.is_set() or not self._mine(d.chat_id):
            return
        message = d.message
        if message is not None and (new_id := message.get("migrate_to_chat_id")) is not None:
            # The group became a supergroup: the game goes on under the new id.
            self.on_event(f"the group migrated to {new_id}")
            self.group_id = int(new_id)
            return
        if message is None:  # deleted: its buttons went with it
            self.closed.add((d.chat_id, d.message_id))
            return
        if d.kind == "edit":
            if read_question(message) is None:
                self.closed.add((d.chat_id, d.message_id))
            if (d.chat_id, d.message_id) == self.lobby_at and is_closed_lobby(message):
                self.stop("the lobby closed before the game started")
            return
        if self.lobby is None:
            host_chat = self.host.id if self.private else self.group_id
            if d.chat_id == host_chat:
                lobby = read_lobby(message)
                if lobby is not None:
                    self.lobby_at = (d.chat_id, d.message_id)
                    self._open(lobby)
                else:  # the bot answered /live with something else: no such quiz, busy…
                    self.stop(f"no lobby; the bot said: {message.get('text', '')[:300]}")
            return
        card = read_question(message)
        if card is not None and card.session_id == self.lobby.session_id:
            self._question(d, card)
        elif self.started and is_results(message):
            self._results(d.chat_id)

    def _open(self, lobby: Lobby) -> None:
        self.lobby = lobby
        self.report.session_id = lobby.session_id
        self.on_event(
            f"lobby of session {lobby.session_id}: {len(self.lobby_players)} players join"
        )
        loop = asyncio.get_running_loop()
        for user in self.lobby_players:
            delay = self.rng.uniform(0.0, self.config.join_within_s)
            self._timers.append(loop.call_later(delay, self._join, user))

    def _join(self, user: AsyncUser) -> None:
        lobby = self.lobby
        assert lobby is not None
        # In private mode the host has the lobby, Join button included, in
        # their own chat; everyone else follows the invite link.
        action: Action
        if self.private and user is not self.host:
            text = f"/start {lobby.join_payload}"
            action, via = (lambda: user.send(text)), "link"
        else:
            action, via = (lambda: user.press(lobby.message, data=lobby.join_data)), "button"
        sent = Sent(0, time.time())
        self.report.joins.append(JoinRecord(user.id, via, sent))
        self._spawn(self._deliver(action, sent, lambda: self._joined(user, sent)))

    def _joined(self, user: AsyncUser, sent: Sent) -> None:
        self.joins_done += 1
        if sent.acknowledged:
            self.joined.add(user.id)
        if self.joins_done == len(self.lobby_players):
            self.on_event(f"{len(self.joined)}/{len(self.lobby_players)} joined; the host starts")
            self._start()

    def _start(self) -> None:
        assert self.lobby is not None
        if self.lobby.start_data is None or not self.joined:
            self.stop("nobody could join, or the lobby has no Start button")
            return
        self._spawn(self._choose_and_start(self.lobby))

    async def _choose_and_start(self, lobby: Lobby) -> None:
        if self.config.close_early and lobby.close_early_data is not None:
            # The option is acknowledged before Start, so the game starts with it.
            close_early = lobby.close_early_data
            choice = lambda: self.host.press(lobby.message, data=close_early)  # noqa: E731
            await self._deliver(choice, Sent(0, time.time()), None)
        start = lobby.start_data
        assert start is not None
        self.report.start = Sent(0, time.time())
        self.started = True
        await self._deliver(
            lambda: self.host.press(lobby.message, data=start), self.report.start, None
        )

    def _question(self, d: Delivery, card: QuestionCard) -> None:
        viewers = [self.by_id[d.chat_id]] if self.private else self.users
        if card.position not in self.report.deliveries:
            self.on_event(f"question {card.position + 1} is out")
        fresh = [u for u in viewers if self.report.saw(card.position, u.id, d.at)]
        loop = asyncio.get_running_loop()
        now = time.time()
        for user in fresh:
            think = self.rng.uniform(self.config.think_min_s, self.config.think_max_s)
            if user.id in self.late:
                if card.position == 0:
                    continue  # not here yet
                think += self.config.think_max_s  # after every lobby player
            # Thinking starts when the message reached the player, not when we read the feed.
            delay = max(0.0, d.at + think - now)
            self._timers.append(
                loop.call_later(delay, self._answer, user, card, d.chat_id, d.message_id, d.at)
            )

    def _answer(
        self, user: AsyncUser, card: QuestionCard, chat_id: int, message_id: int, seen_at: float
    ) -> None:
        if user.id in self.left:
            return
        closes_at = seen_at + card.open_s if card.open_s is not None else None
        gone = (chat_id, message_id) in self.closed or self.done.is_set()
        if gone or (closes_at is not None and time.time() >= closes_at):
            self.report.missed += 1  # the buttons or the poll closed before the player chose
            return
        correct = self.key.correct_options(card) if self.key else None
        choice = choose(self.rng, card.option_count, correct, self.config.accuracy)
        action: Action
        if card.poll is not None:
            action = lambda: user.vote(card.message, [choice.option])  # noqa: E731
        else:
            data = card.buttons[choice.option]
            action = lambda: user.press(card.message, data=data)  # noqa: E731
        sent = Sent(0, time.time())
        record = AnswerRecord(
            user.id,
            card.session_id,
            card.position,
            choice.option,
            choice.correct,
            seen_at,
            sent,
            poll=card.poll is not None,
        )
        self.report.answers.append(record)
        self._spawn(self._deliver(action, sent, None))

    def _results(self, chat_id: int) -> None:
        self.results.add(chat_id)
        self.report.results_seen = len(self.results)
        self._check_finished()

    def _check_finished(self) -> None:
        if not self.started:
            return
        everyone = self.joined - self.left if self.private else {self.group_id}
        if everyone <= self.results:
            self.report.finished = True
            self.on_event("final leaderboard delivered")
            self.done.set()


async def run_swarm(
    config: SwarmConfig, on_event: Callable[[str], None] | None = None
) -> SwarmReport:
    """Play one live quiz with a swarm of simulated players; returns the ground truth."""
    return await Swarm(config, on_event).run()
