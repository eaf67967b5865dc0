"""quizbot: a Telegram quiz bot that stays fast when thousands play at once."""
