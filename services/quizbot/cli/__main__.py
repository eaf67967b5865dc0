"""``python -m quizbot.cli``: the same as the ``quizbot`` command."""

from quizbot.cli.main import cli

cli()
