"""Operators' first steps, through the real `quizbot` command: migrate, import, list."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from quizbot.domain.quizfile import QuizFileError
from quizbot.store.quizfiles import FORMATS, load_quiz_file
from quizbot.store.quizzes import sample_files

QUIZBOT = [sys.executable, "-m", "quizbot.cli"]


@pytest.fixture
def empty_db(pg_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A database with no schema at all."""
    name = f"quizbot_empty_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield pg_server.url(name)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def run(url: str, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "QUIZBOT_VAR_DIR": str(tmp / "var")}
    env.pop("QUIZBOT_ENV_FILE", None)
    return subprocess.run(
        [*QUIZBOT, *args], env=env, capture_output=True, text=True, timeout=120, cwd=tmp
    )


def counts(url: str) -> tuple[int, int]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        quizzes = conn.scalar(sa.text("SELECT count(*) FROM quizzes")) or 0
        questions = conn.scalar(sa.text("SELECT count(*) FROM questions")) or 0
    engine.dispose()
    return quizzes, questions


def test_upgrade_import_samples_and_list_from_an_empty_database(
    empty_db: str, tmp_path: Path
) -> None:
    upgraded = run(empty_db, "db", "upgrade", tmp=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database at revision" in upgraded.stdout

    samples = sample_files()
    assert len(samples) >= 3
    for path in samples:
        imported = run(empty_db, "quiz", "import", str(path), tmp=tmp_path)
        assert imported.returncode == 0, imported.stderr
        assert "created" in imported.stdout

    listed = run(empty_db, "quiz", "list", tmp=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["SLUG", "QUESTIONS", "PLAYED"]
    assert len(lines) == 1 + len(samples)
    assert all(int(line.split()[1]) >= 10 for line in lines[1:])


def test_importing_the_same_file_again_changes_nothing(db_url: str, tmp_path: Path) -> None:
    sample = sample_files()[0]
    assert run(db_url, "quiz", "import", str(sample), tmp=tmp_path).returncode == 0
    before = counts(db_url)
    again = run(db_url, "quiz", "import", str(sample), tmp=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "unchanged" in again.stdout
    assert counts(db_url) == before


def test_a_different_quiz_under_an_existing_slug_is_refused(db_url: str, tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text(QUIZ.format(option="Paris"))
    assert run(db_url, "quiz", "import", str(first), tmp=tmp_path).returncode == 0
    before = counts(db_url)
    changed = tmp_path / "b.yaml"
    changed.write_text(QUIZ.format(option="Lyon"))
    refused = run(db_url, "quiz", "import", str(changed), tmp=tmp_path)
    assert refused.returncode == 1
    assert "already imported" in refused.stderr
    assert counts(db_url) == before
    replaced = run(db_url, "quiz", "import", "--replace", str(changed), tmp=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert "replaced" in replaced.stdout


QUIZ = """
title: Tiny capitals
questions:
  - question: Capital of France?
    options: ["{option}", Berlin]
    correct: 1
"""

BAD = """
title: Broken quiz
questions:
  - question: Thirteen options?
    options: [a, b, c, d, e, f, g, h, i, j, k, l, m]
    correct: 1
  - question: A very long option
    options: ["{long}", short]
    correct: 1
  - question: Out of range
    options: [yes, no]
    correct: 5
  - options: [no question text, here]
    correct: 1
"""


def test_a_malformed_quiz_lists_every_problem_and_imports_nothing(
    db_url: str, tmp_path: Path
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(QUIZ.format(option="Paris"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD.format(long="x" * 400))
    result = run(db_url, "quiz", "import", str(good), str(bad), tmp=tmp_path)
    assert result.returncode == 2
    err = result.stderr
    assert "question 1" in err and "12" in err  # 13 options, at most 12
    assert "question 2" in err and "100" in err  # option longer than 100 characters
    assert "question 3" in err and "correct" in err  # index out of range
    assert "question 4" in err and "question" in err  # missing question text
    assert "nothing imported" in err
    assert counts(db_url) == (0, 0)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("syntax.yaml", "title: [unclosed\n", "line"),
        ("syntax.json", '{"title": "x",}', "line 1"),
        ("empty.yaml", "", "title"),
        ("list.yaml", "- just\n- a list\n", "mapping"),
    ],
)
def test_unreadable_quiz_files_are_refused_with_where(
    db_url: str, tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = run(db_url, "quiz", "import", str(path), tmp=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr
    assert counts(db_url) == (0, 0)


THREE_ERRORS = Path(__file__).parents[1] / "data" / "three-errors.txt"


def test_a_txt_file_with_three_planted_errors_reports_each_on_its_line(
    db_url: str, tmp_path: Path
) -> None:
    bad = THREE_ERRORS
    with pytest.raises(QuizFileError) as parsed:
        load_quiz_file(bad)

    result = run(db_url, "quiz", "import", str(bad), tmp=tmp_path)

    assert result.returncode == 2
    reported = result.stderr.splitlines()
    assert reported == [*str(parsed.value).splitlines(), "nothing imported"]
    assert [line.split(",")[0] for line in reported[:3]] == [
        f"{bad}: line 3",  # no option marked right
        f"{bad}: line 9",  # the same option twice
        f"{bad}: line 10",  # 2 seconds is too short
    ]
    assert counts(db_url) == (0, 0)


def test_a_quiz_exported_in_every_format_imports_back_unchanged(
    db_url: str, tmp_path: Path
) -> None:
    sample = sample_files()[0]
    slug = load_quiz_file(sample).slug
    assert run(db_url, "quiz", "import", str(sample), tmp=tmp_path).returncode == 0
    before = counts(db_url)

    exported = []
    for fmt in FORMATS:
        path = tmp_path / f"exported.{fmt}"
        done = run(db_url, "quiz", "export", slug, "--format", fmt, "-o", str(path), tmp=tmp_path)
        assert done.returncode == 0, done.stderr
        exported.append(str(path))
    again = run(db_url, "quiz", "import", *exported, tmp=tmp_path)

    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [f"{slug}: unchanged ({before[1]} questions)"] * 3
    assert counts(db_url) == before
    printed = run(db_url, "quiz", "export", slug, "--format", "txt", tmp=tmp_path)
    assert printed.stdout == (tmp_path / "exported.txt").read_text()


def test_exporting_a_slug_that_is_not_there_says_so(db_url: str, tmp_path: Path) -> None:
    result = run(db_url, "quiz", "export", "no-such-quiz", tmp=tmp_path)

    assert result.returncode == 1
    assert "no quiz with the slug 'no-such-quiz'" in result.stderr
