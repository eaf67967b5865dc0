"""``quizbot quiz``: import, export and list quizzes, a quiz's statistics and a game's
results."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa

from quizbot.domain.problems import QuizFileError
from quizbot.domain.results_csv import results_csv
from quizbot.settings import load_settings
from quizbot.store.database import engine_for
from quizbot.store.game_results import GameResults, finished_games, game_results
from quizbot.store.owned import FoundQuiz, find_for
from quizbot.store.quizfiles import FORMATS, export_quiz, load_quiz_file
from quizbot.store.quizzes import (
    QuizConflict,
    import_quiz,
    list_quizzes,
    load_quiz,
    sample_files,
)
from quizbot.store.statistics import quiz_figures

# Slugs are unique per owner: --owner names whose quiz a slug means (default: an
# operator's import, else the oldest quiz of that slug).
OWNER = click.option(
    "--owner", type=int, help="The Telegram user id whose quiz SLUG is (slugs are per owner)."
)


def _find(conn: sa.Connection, slug: str, owner: int | None) -> FoundQuiz | None:
    found = find_for(conn, slug, owner)
    if owner is not None and found is not None and found.ownership.owner_id != owner:
        return None  # a public quiz of that slug, not this user's
    return found


# A file with problems is the operator's to fix (2, like a usage error); a refused
# import against the database (a slug conflict, a missing quiz) exits 1.
EXIT_BAD_FILE = 2


@click.group()
def quiz() -> None:
    """Quiz content: import and export files, list what is there."""


@quiz.command(name="import")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--samples", is_flag=True, help="Also import the sample quizzes shipped with quizbot."
)
@click.option(
    "--replace", is_flag=True, help="Overwrite a quiz with the same slug if never played."
)
def import_(files: tuple[Path, ...], samples: bool, replace: bool) -> None:
    """Validate and import quiz FILES (.txt, .yaml or .json; see docs/quiz-format.md).

    Every file is validated first; if any has a problem, every problem is listed
    with its line and nothing is imported (exit 2). A file already imported with
    the same content is left unchanged.
    """
    paths = list(files) + (sample_files() if samples else [])
    if not paths:
        raise click.UsageError("give at least one FILE, or --samples")
    quizzes, failed = [], False
    for path in paths:
        try:
            quizzes.append(load_quiz_file(path))
        except QuizFileError as exc:
            failed = True
            click.echo(str(exc), err=True)
    if failed:
        click.echo("nothing imported", err=True)
        sys.exit(EXIT_BAD_FILE)
    engine, _ = engine_for(load_settings(), "cli", poolclass=sa.NullPool)
    try:
        # One transaction for every file: all of them are imported, or none.
        with engine.begin() as conn:
            results = [import_quiz(conn, q, replace=replace) for q in quizzes]
    except QuizConflict as exc:
        click.echo(f"{exc}\nnothing imported", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    for q, result in zip(quizzes, results, strict=True):
        click.echo(f"{result.slug}: {result.outcome} ({len(q.questions)} questions)")


@quiz.command(name="list")
def list_() -> None:
    """List the imported quizzes."""
    engine, _ = engine_for(load_settings(), "cli", poolclass=sa.NullPool)
    with engine.connect() as conn:
        rows = list_quizzes(conn)
    engine.dispose()
    if not rows:
        click.echo("no quizzes yet: quizbot quiz import FILE (or --samples)")
        return
    width = max(len(r.slug) for r in rows)
    click.echo(f"{'SLUG'.ljust(width)}  QUESTIONS  PLAYED  TITLE")
    for r in rows:
        click.echo(f"{r.slug.ljust(width)}  {r.question_count:>9}  {r.sessions:>6}  {r.title}")


@quiz.command(name="export")
@click.argument("slug")
@OWNER
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="yaml", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
def export(slug: str, owner: int | None, fmt: str, output: Path | None) -> None:
    """Write the quiz SLUG as a file that `quizbot quiz import` reads back unchanged."""
    engine, _ = engine_for(load_settings(), "cli", poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            found = _find(conn, slug, owner)
            stored = load_quiz(conn, found.id) if found is not None else None
    finally:
        engine.dispose()
    if stored is None:
        click.echo(f"no quiz with the slug {slug!r}: quizbot quiz list shows them", err=True)
        sys.exit(1)
    try:
        text = export_quiz(stored, fmt)
    except ValueError as exc:
        click.echo(f"{slug}: {exc}", err=True)
        sys.exit(1)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@quiz.command(name="stats")
@click.argument("slug")
@OWNER
def stats(slug: str, owner: int | None) -> None:
    """Print the quiz SLUG's figures over every play as JSON: the same as its author's /stats."""
    engine, _ = engine_for(load_settings(), "cli", poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            found = _find(conn, slug, owner)
            figures = quiz_figures(conn, found.id) if found is not None else None
    finally:
        engine.dispose()
    if figures is None:
        click.echo(f"no quiz with the slug {slug!r}: quizbot quiz list shows them", err=True)
        sys.exit(1)
    data = {**dataclasses.asdict(figures), "completion_rate": figures.completion_rate}
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@quiz.command(name="results")
@click.argument("slug")
@OWNER
@click.option(
    "--session", "session_id", type=int, help="The game's session id (default: the latest)."
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
def results(slug: str, owner: int | None, session_id: int | None, output: Path | None) -> None:
    """Write a finished game of the quiz SLUG as CSV: the file its author's button sends."""
    engine, _ = engine_for(load_settings(), "cli", poolclass=sa.NullPool)
    got: GameResults | None = None
    try:
        with engine.connect() as conn:
            found = _find(conn, slug, owner)
            if found is not None and session_id is None:
                latest = finished_games(conn, found.id, 1)
                session_id = latest[0].session_id if latest else None
            if found is not None and session_id is not None:
                got = game_results(conn, session_id)
    finally:
        engine.dispose()
    if found is None:
        click.echo(f"no quiz with the slug {slug!r}: quizbot quiz list shows them", err=True)
        sys.exit(1)
    if got is None or got.quiz_id != found.id:
        which = "no finished game" if session_id is None else f"no finished game {session_id}"
        click.echo(f"{slug}: {which} with results", err=True)
        sys.exit(1)
    text = results_csv(got.lines, got.question_count)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8-sig")
