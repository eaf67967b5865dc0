"""Quiz files in and out, pure: the `.txt` format and JSON with line numbers.

Every format decodes to the same plain data and a map of where each part
came from, then goes through `quizbot.domain.quizfile.validate_quiz`, so the
rules and messages are the same whatever the format. YAML needs a library,
so its reader lives in the adapter `quizbot.store.quizfiles`.
"""
