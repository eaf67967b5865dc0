"""Operating quizbot: what an operator looks at (status) and restores (backups)."""
