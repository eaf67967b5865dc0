"""Running a scenario: scripted users play against whatever bot talks to the fake API.

The users act through the control API (:mod:`quizbot.sim.users.client`) and
watch the bot's deliveries on the feed (:mod:`quizbot.sim.users.feed`), so
the runner works the same against a fake API it started and one already
running. A webhook bot gets its updates POSTed by the fake API
(``setWebhook`` is made for it); a polling bot fetches them with getUpdates.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections.abc import Callable
from typing import Any

from quizbot.sim.scenario.replies import AwaitedReplies
from quizbot.sim.scenario.report import ScenarioReport
from quizbot.sim.scenario.spec import Scenario, Step
from quizbot.sim.users.client import ControlRefused, SimClient, User
from quizbot.sim.users.feed import Delivery, FeedReader

DEFAULT_TOKEN = "100000:scenario"


class ScenarioRun:
    """One run of a scenario against the fake API at ``api_url``."""

    def __init__(
        self,
        scenario: Scenario,
        api_url: str,
        *,
        webhook: str | None = None,
        token: str | None = None,
        secret: str | None = None,
        on_event: Callable[[str], None] = lambda text: None,
        wait_for_bot_s: float = 0.0,
    ) -> None:
        """``webhook``/``secret``: set the bot's webhook (its secret_token) for ``token``.

        ``wait_for_bot_s``: first wait up to this long for the bot's first Bot API call.
        """
        self.scenario = scenario
        self.api_url = api_url
        self.webhook = webhook
        self.token = token or scenario.token or DEFAULT_TOKEN
        self.secret = secret
        self.on_event = on_event
        self.wait_for_bot_s = wait_for_bot_s
        self.rng = random.Random(scenario.seed)
        self.report = ScenarioReport(scenario.users)
        self.client = SimClient(api_url)
        self.users: list[User] = []
        self.chats: dict[str, int] = {}  # group name -> chat id
        self.viewers: dict[int, list[User]] = {}  # chat id -> users who see it
        self.blockers: set[int] = set()
        self.blocked: set[int] = set()
        # Blockers whose unblock step came before they blocked: they unblock right after.
        self.unblock_due: set[int] = set()
        self.replies = AwaitedReplies(self.report.latencies)
        self.last_delivery = 0.0
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> dict[str, Any]:
        """Set up users and groups, play, stop; returns the report."""
        report = self.report
        report.started_at = time.time()
        try:
            async with FeedReader(self.api_url, poll_timeout_s=1) as feed:
                if self.wait_for_bot_s:
                    await self._wait_for_bot()
                await feed.skip_to_end()
                await asyncio.to_thread(self._setup)
                self.on_event(f"{len(self.users)} users ready; {len(self.chats)} groups")
                self.last_delivery = time.monotonic()
                self._steps()
                report.stopped_by = await self._play(feed)
                await self._drain()
            await asyncio.to_thread(self._collect)
        finally:
            self.client.close()
        report.ended_at = time.time()
        self.on_event(f"stopped: {report.stopped_by}")
        return report.as_dict()

    # -- set-up --------------------------------------------------------------

    async def _wait_for_bot(self) -> None:
        self.on_event(f"waiting up to {self.wait_for_bot_s:g} s for a bot to call the fake API")
        deadline = time.monotonic() + self.wait_for_bot_s
        while time.monotonic() < deadline:
            stats = await asyncio.to_thread(self.client.request, "GET", "/sim/stats")
            if stats["recorded"]:
                return
            await asyncio.sleep(0.2)

    def _setup(self) -> None:
        sc = self.scenario
        if self.webhook:
            hook = {"url": self.webhook}
            if self.secret:
                hook["secret_token"] = self.secret
            self.client.request("POST", f"/bot{self.token}/setWebhook", hook)
        for i in range(sc.users):
            name = sc.name.format(i=i + 1)
            self.users.append(self.client.user(name, id=sc.first_user_id + i))
        for user in self.users:
            self.viewers[user.id] = [user]
        for name, title in sc.groups.items():
            chat = self.client.group(title, supergroup=sc.supergroup.get(name, True))
            self.chats[name] = chat["id"]
            self.viewers[chat["id"]] = []
        for name in sc.join:
            for user in self.users:
                user.join({"id": self.chats[name]})
                self.viewers[self.chats[name]].append(user)
                self.report.actions["join"] += 1
        share = round(sc.block_share * sc.users)
        self.blockers = {u.id for u in self.rng.sample(self.users, share)} if share else set()

    def _steps(self) -> None:
        for step in self.scenario.steps:
            for user in self.users[: step.users]:
                self._step(step, user)

    def _step(self, step: Step, user: User) -> None:
        chat_id = None if step.chat == "private" else self.chats[step.chat]
        work: Callable[[], Any]
        waits_for: int | None = chat_id or user.id  # the chat whose reply is timed
        if step.action == "send":
            work = functools.partial(user.send, step.value, chat_id)
        elif step.action == "document":
            work = functools.partial(
                user.send_document,
                step.value,
                chat_id=chat_id,
                mime_type=step.mime_type,
                caption=step.caption,
            )
        elif step.action == "inline":
            work, waits_for = functools.partial(user.inline_query, step.value), None
        elif step.action == "leave":
            group = self.chats[step.value]
            work, waits_for = functools.partial(self._leave, user, group), None
        else:  # unblock: of the step's users, those chosen to block the bot
            if user.id not in self.blockers:
                return
            work, waits_for = functools.partial(self._unblock, user), None
        self._act(step.action, work, waits_for, step.after_s)

    def _leave(self, user: User, group: int) -> None:
        user.leave({"id": group})
        viewers = self.viewers[group]
        if user in viewers:
            viewers.remove(user)  # a user who left sees the group no more

    def _unblock(self, user: User) -> bool:
        if user.id not in self.blocked:
            # Not blocked yet (the bot was slower than the step's time): the user comes
            # back right after blocking, so the step never depends on the bot's pace.
            self.unblock_due.add(user.id)
            return False
        user.block_bot(False)
        # Back as a user who sees the bot's messages, and stays (no second block).
        self.blocked.discard(user.id)
        self.blockers.discard(user.id)
        return True

    # -- playing ---------------------------------------------------------------

    async def _play(self, feed: FeedReader) -> str:
        sc = self.scenario
        deadline = time.monotonic() + sc.after_s
        while True:
            now = time.monotonic()
            if now >= deadline:
                return f"after_s ({sc.after_s:g} s)"
            if now - self.last_delivery >= sc.idle_s and not self._tasks:
                return f"idle_s (the bot was quiet for {sc.idle_s:g} s)"
            for delivery in await feed.next_batch():
                self._see(delivery)

    def _see(self, d: Delivery) -> None:
        viewers = self.viewers.get(d.chat_id)
        if viewers is None or d.message is None:
            return
        self.last_delivery = time.monotonic()
        self.replies.delivered(d.chat_id, d.at)
        if d.kind == "edit":
            self.report.edits += 1
            return
        self.report.per_chat[d.chat_id] += 1
        for user in viewers:
            if user.id in self.blocked:
                continue
            self.report.seen[user.id] += 1
            if user.id in self.blockers and self.report.seen[user.id] >= self.scenario.block_after:
                # A user who blocks the bot stops playing.
                self.blocked.add(user.id)
                self.report.blocked += 1
                self._act("block", user.block_bot, None, then=self._due(user))
                continue
            self._react(user, d.message)

    def _react(self, user: User, message: dict[str, Any]) -> None:
        sc = self.scenario
        delay = self.rng.uniform(*sc.within)
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        buttons = [b for row in rows for b in row if "callback_data" in b]
        chat_id = message["chat"]["id"]
        if buttons and sc.press != "none":
            if sc.press == "first":
                button = buttons[0]
            elif sc.press == "random":
                button = self.rng.choice(buttons)
            else:
                button = next((b for b in buttons if b["text"] == sc.press), None)
            if button is not None:
                data = button["callback_data"]
                self._act("press", lambda: user.press(message, data=data), chat_id, delay)
        poll = message.get("poll")
        if poll is not None and sc.vote != "none" and not poll["is_closed"]:
            n = len(poll["options"])
            option = 0 if sc.vote == "first" else self.rng.randrange(n)
            self._act("vote", lambda: user.vote(message, [option]), chat_id, delay)

    def _due(self, user: User) -> Callable[[], None] | None:
        """After a block, the unblock its step asked for earlier, if any."""
        if user.id not in self.unblock_due:
            return None
        self.unblock_due.discard(user.id)
        return lambda: self._act("unblock", functools.partial(self._unblock, user), None)

    def _act(
        self,
        kind: str,
        work: Callable[[], Any],
        chat_id: int | None,
        delay: float = 0.0,
        then: Callable[[], None] | None = None,
    ) -> None:
        async def go() -> None:
            if delay:
                await asyncio.sleep(delay)
            awaited = None
            if chat_id is not None and kind in ("send", "document", "press"):
                # From the start: the bot's reply may be seen before this request returns.
                awaited = self.replies.start(chat_id, time.time())
            happened = False
            try:
                done = await asyncio.to_thread(work)
                happened = done is not False  # False: nothing to do (an unblock with no block)
            except ControlRefused as exc:
                self.report.refused[f"{kind}: {exc.field}"] += 1
                return
            finally:
                if awaited is not None:
                    self.replies.finish(awaited, happened)
            if not happened:
                return
            self.report.actions[kind] += 1
            if then is not None:
                then()  # only once the work is done: the API sees the two in order

        task = asyncio.create_task(go())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _collect(self) -> None:
        for user in self.users:
            for toast in user.toasts():
                self.report.toasts += 1
                self.report.alerts += bool(toast["show_alert"])
        self.report.bot = self.client.request("GET", "/sim/stats")
