"""Scenarios: YAML files of scripted users to run against any bot (``quizbot sim run``)."""
