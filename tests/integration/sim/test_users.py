"""Scripted users in groups: members and admins as the bot sees them, joins,
leaves and blocks as updates a bot library parses, and inline queries."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import telegram
from telegram.error import Forbidden

from quizbot.sim.api.app import RunningSim
from quizbot.sim.client import SimClient

TOKEN = "626262:users-token"
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def _updates(client: SimClient) -> list[dict[str, Any]]:
    everything = (
        "%5B%22message%22%2C%22chat_member%22%2C%22my_chat_member%22%2C%22inline_query%22%5D"
    )
    result: list[dict[str, Any]] = client.request(
        "GET", f"/bot{TOKEN}/getUpdates?allowed_updates={everything}"
    )["result"]
    return result


async def test_members_admins_joins_leaves_and_a_block_as_the_bot_sees_them(
    sim: RunningSim, client: SimClient
) -> None:
    def script() -> tuple[int, int, int]:
        owner, admin, fan = client.user("Olga"), client.user("Adam"), client.user("Fay")
        group = client.group("Club", members=[fan], admins=[owner, admin])
        newcomer = client.user("Nia")
        newcomer.join(group)
        fan.leave(group)
        newcomer.inline_query("capitals")
        newcomer.block_bot()
        return group["id"], owner.id, newcomer.id

    group_id, owner_id, newcomer_id = await asyncio.to_thread(script)
    async with telegram.Bot(TOKEN, base_url=sim.bot_base_url) as bot:
        admins = await bot.get_chat_administrators(group_id)
        assert {(a.user.first_name, a.status) for a in admins} == {
            ("Olga", "creator"),
            ("Adam", "administrator"),
        }
        assert (await bot.get_chat_member(group_id, newcomer_id)).status == "member"
        assert await bot.get_chat_member_count(group_id) == 4  # 3 users and the bot
        with pytest.raises(Forbidden, match="blocked by the user"):
            await bot.send_message(newcomer_id, "hi")
        assert (await bot.send_message(owner_id, "hi")).chat.id == owner_id

        updates = [
            telegram.Update.de_json(u, bot) for u in await asyncio.to_thread(_updates, client)
        ]
    joined, join_change, left, leave_change, inline, blocked = updates
    assert [u.first_name for u in joined.message.new_chat_members] == ["Nia"]
    assert (
        join_change.chat_member.old_chat_member.status,
        join_change.chat_member.new_chat_member.status,
    ) == ("left", "member")
    assert left.message.left_chat_member.first_name == "Fay"
    assert leave_change.chat_member.new_chat_member.status == "left"
    assert inline.inline_query.query == "capitals"
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    assert blocked.my_chat_member.chat.id == newcomer_id
