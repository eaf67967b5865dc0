"""A small echo-and-button bot on python-telegram-bot's Application, unchanged.

Run as a program by tests/integration/sim/test_any_bot.py:
``python ptb_echo_bot.py SIM_URL TOKEN polling`` or
``python ptb_echo_bot.py SIM_URL TOKEN webhook PORT SECRET``.
It knows nothing of quizbot or of the simulator except its base URL.
"""

from __future__ import annotations

import sys

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Yes", callback_data="yes"),
            InlineKeyboardButton("No", callback_data="no"),
        ]
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.effective_user is not None
    await update.message.reply_text(
        f"Hello {update.effective_user.first_name}! Do you like quizzes?", reply_markup=KEYBOARD
    )


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(f"echo: {update.message.text}")


async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.document is not None
    await update.message.reply_text(f"got {update.message.document.file_name}")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"You said {query.data}", show_alert=query.data == "no")
    await query.edit_message_text(f"Answer recorded: {query.data}")


async def inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.inline_query
    assert query is not None
    text = InputTextMessageContent(f"you looked for {query.query}")
    await query.answer([InlineQueryResultArticle("1", query.query, text)])


def main() -> None:
    url, token, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    app = Application.builder().token(token).base_url(f"{url}/bot").build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(InlineQueryHandler(inline))
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    if mode == "polling":
        app.run_polling(poll_interval=0.0, timeout=5)
    else:
        port, secret = int(sys.argv[4]), sys.argv[5]
        app.run_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token=secret,
        )


if __name__ == "__main__":
    main()
