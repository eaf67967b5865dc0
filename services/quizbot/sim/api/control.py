"""The ``/sim/`` control endpoints for scripted users (JSON in, JSON out).

- ``POST /sim/users``: create a user (``first_name``; ``id``, ``username``...).
- ``POST /sim/chats``: create a group or supergroup with ``members`` and ``admins``.
- ``POST /sim/users/<id>/<action>``: the user acts; ``action`` is one of
  ``send``, ``document``, ``press``, ``vote``, ``inline``, ``join``,
  ``leave``, ``block`` (see :mod:`quizbot.sim.api.actions`).
- ``POST /sim/actions``: many users' actions in one request, ``{"actions":
  [{"user_id": ..., "action": ..., <its body's fields>}]}``, each applied in
  order and answered on its own in ``results`` (a refused one fails no other).
  A swarm of a thousand players sends its presses this way: one request
  carries all the presses made while the previous one was on the wire.
  With ``"brief": true`` an accepted action is answered as ``{"ok": true,
  "update": {"update_id": ...}}`` and no more: a press's update carries the
  whole message pressed, and a swarm that needs only the id would pay for it
  twice per answer.
- ``GET /sim/users/<id>/seen``: what the user has seen (messages with their
  edits, toasts and alerts, polls with their state).

A malformed request gets ``400 {"ok": false, "field": ..., "error": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from quizbot.sim.api import actions, seen
from quizbot.sim.api.body import Body, ControlError
from quizbot.sim.api.people import Person
from quizbot.sim.api.state import SimState

Action = Callable[[SimState, Person, Body], dict[str, Any]]

BATCH_MAX = 1000  # actions in one /sim/actions request

ACTIONS: dict[str, Action] = {
    "send": actions.send_text,
    "document": actions.send_document,
    "press": actions.press,
    "vote": actions.vote,
    "inline": actions.inline_query,
    "join": actions.join,
    "leave": actions.leave,
    "block": actions.block,
}


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status, media_type="application/json")


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    update = result.get("update")
    if not result["ok"] or not isinstance(update, dict):
        return result
    return {"ok": True, "update": {"update_id": update["update_id"]}}


def _refuse(exc: ControlError) -> Response:
    return _json({"ok": False, "field": exc.field, "error": str(exc)}, exc.status)


async def _body(request: Request) -> Body:
    raw = await request.body()
    try:
        return Body(orjson.loads(raw) if raw.strip() else {})
    except orjson.JSONDecodeError:
        raise ControlError("body", "is not JSON") from None


class Control:
    """The handlers, bound to one simulator's state."""

    def __init__(self, state: SimState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        """The Starlette routes of the control API."""
        return [
            Route("/sim/users", self.create_user, methods=["POST"]),
            Route("/sim/chats", self.create_chat, methods=["POST"]),
            Route("/sim/actions", self.act_many, methods=["POST"]),
            Route("/sim/users/{user_id}/seen", self.seen, methods=["GET"]),
            Route("/sim/users/{user_id}/{action}", self.act, methods=["POST"]),
        ]

    async def create_user(self, request: Request) -> Response:
        try:
            return _json(
                {"ok": True, "user": actions.create_user(self.state, await _body(request))}
            )
        except ControlError as exc:
            return _refuse(exc)

    async def create_chat(self, request: Request) -> Response:
        try:
            created = actions.create_chat(self.state, await _body(request))
        except ControlError as exc:
            return _refuse(exc)
        return _json({"ok": True, **created})

    async def act(self, request: Request) -> Response:
        try:
            person = self._person(request.path_params["user_id"])
            done = self._act(person, request.path_params["action"], await _body(request))
        except ControlError as exc:
            return _refuse(exc)
        return _json({"ok": True, **done})

    async def act_many(self, request: Request) -> Response:
        try:
            body = await _body(request)
            items = body.need("actions", list)
            if len(items) > BATCH_MAX:
                raise ControlError("actions", f"at most {BATCH_MAX} in one request")
            brief = body.get("brief", bool, False)
        except ControlError as exc:
            return _refuse(exc)
        results = [self._one(item) for item in items]
        if brief:
            results = [_brief(r) for r in results]
        return _json({"ok": True, "results": results})

    def _one(self, item: Any) -> dict[str, Any]:
        """One action of a batch, answered as its own request would be."""
        try:
            body = Body(item)
            person = self._person(body.need("user_id", int))
            done = self._act(person, body.need("action", str), body)
        except ControlError as exc:
            return {"ok": False, "status": exc.status, "field": exc.field, "error": str(exc)}
        return {"ok": True, **done}

    def _act(self, person: Person, name: str, body: Body) -> dict[str, Any]:
        action = ACTIONS.get(name)
        if action is None:
            raise ControlError("action", f"must be one of {', '.join(ACTIONS)}")
        return action(self.state, person, body)

    async def seen(self, request: Request) -> Response:
        try:
            person = self._person(request.path_params["user_id"])
        except ControlError as exc:
            return _refuse(exc)
        return _json({"ok": True, **seen.seen(self.state, person)})

    def _person(self, raw: str | int) -> Person:
        try:
            person = self.state.people.users.get(int(raw))
        except ValueError:
            raise ControlError("user_id", "must be an integer") from None
        if person is None:
            raise ControlError("user_id", f"no user {raw} (create it with POST /sim/users)", 404)
        return person
