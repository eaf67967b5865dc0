from dataclasses import replace

import pytest

from quizbot.domain import limits
from quizbot.domain.draft import from_data, to_data
from quizbot.domain.prompts import SHUFFLE_OFF, SHUFFLE_ON, ready
from quizbot.domain.quiz import Question
from quizbot.domain.wizard import (
    END_OPTIONS,
    RIGHT_DONE,
    SKIP,
    Cancel,
    Done,
    Draft,
    Event,
    Press,
    Step,
    Text,
    Turn,
    start,
    step,
)

Q1 = Question("Two plus two?", ("3", "4", "5"), frozenset({1}), "Basic sums.", 30)
Q2 = Question("Pick a prime", ("4", "7", "11"), frozenset({1, 2}), None, 45)


def run(events: list[Event], draft: Draft | None = None) -> list[Turn]:
    turns = []
    current = draft or start().draft
    for event in events:
        assert current is not None
        turn = step(current, event)
        turns.append(turn)
        current = turn.draft
    return turns


def test_a_whole_conversation_makes_the_quiz_the_host_typed() -> None:
    turns = run(
        [
            Text("  Sums and primes "),
            Text("Two plus two?"),
            Text("3"),  # one per message...
            Text("4\n5"),  # ...or several, one per line
            Press(END_OPTIONS),
            Press("w:c:1"),
            Press(RIGHT_DONE),
            Text("Basic sums."),
            Press("w:t:30"),
            Text("Pick a prime"),
            Text("4\n7\n11"),
            Press(END_OPTIONS),
            Press("w:c:0"),
            Press("w:c:1"),
            Press("w:c:0"),  # a second press takes a pick back
            Press("w:c:2"),
            Press(RIGHT_DONE),
            Press(SKIP),
            Text("45 s"),
            Done(),
            Press(SHUFFLE_OFF),
        ]
    )

    steps = [turn.draft.step if turn.draft else None for turn in turns]
    assert steps[:9] == [
        Step.QUESTION,
        Step.OPTIONS,
        Step.OPTIONS,
        Step.OPTIONS,
        Step.CORRECT,
        Step.CORRECT,
        Step.EXPLANATION,
        Step.TIME,
        Step.QUESTION,
    ]
    last = turns[-1]
    assert last.draft is None and last.quiz is not None
    assert (last.quiz.title, last.quiz.slug) == ("Sums and primes", "sums-and-primes")
    assert last.quiz.questions == (Q1, Q2) and not last.quiz.shuffle
    assert turns[-2].draft is not None and turns[-2].draft.step is Step.SHUFFLE
    assert turns[-2].prompt.buttons == (
        (("🔀 Shuffle", SHUFFLE_ON), ("Keep my order", SHUFFLE_OFF)),
    )


def test_the_shuffle_button_is_kept_with_the_quiz() -> None:
    turn = step(Draft(Step.SHUFFLE, "Sums", (Q1,)), Press(SHUFFLE_ON))

    assert turn.draft is None and turn.quiz is not None and turn.quiz.shuffle
    assert (
        turn.quiz.content_hash()
        != step(Draft(Step.SHUFFLE, "Sums", (Q1,)), Press(SHUFFLE_OFF)).quiz.content_hash()
    )  # type: ignore[union-attr]


def test_the_last_words_name_the_saved_slug() -> None:
    assert (
        ready("Sums", "sums-2", 2) == "🎉 “Sums” is ready: 2 questions. Play it with /play sums-2"
    )


@pytest.mark.parametrize(
    "draft",
    [
        Draft(),
        Draft(Step.CORRECT, "T", (Q1, Q2), "Q?", ("a", "b"), frozenset({1}), "why"),
        Draft(Step.SHUFFLE, "T", (Q2,)),
    ],
)
def test_a_draft_survives_its_stored_form(draft: Draft) -> None:
    import json

    assert from_data(json.loads(json.dumps(to_data(draft)))) == draft


def test_each_prompt_offers_the_buttons_of_its_step() -> None:
    draft = Draft(Step.CORRECT, "T", (), "Q?", ("a", "b"), frozenset({1}))

    prompt = step(draft, Press("w:c:0")).prompt

    assert prompt.buttons == (
        (("✅ a", "w:c:0"),),
        (("✅ b", "w:c:1"),),
        (("Done", RIGHT_DONE),),
    )
    time = step(replace(draft, step=Step.EXPLANATION), Press(SKIP)).prompt
    assert [data for _, data in time.buttons[0]] == ["w:t:10", "w:t:20", "w:t:30", "w:t:60"]
    assert all(len(data.encode()) <= limits.CALLBACK_DATA_MAX_BYTES for _, data in time.buttons[0])


OPTIONS = Draft(Step.OPTIONS, "T", (), "Q?", ("Paris", "Lyon"))
TWELVE = replace(OPTIONS, options=tuple(f"o{i}" for i in range(12)))

# (draft, event, the refusal, word for word as a file import gives it)
REFUSALS = [
    (Draft(), Text("x" * 129), "title: 129 characters, at most 128 allowed"),
    (Draft(), Text("   "), "title: is empty"),
    (
        Draft(Step.QUESTION, "T"),
        Text("q" * 301),
        "question 1 › question: 301 characters, at most 300 allowed",
    ),
    (Draft(Step.QUESTION, "T"), Text(" \n "), "question 1 › question: is empty"),
    (OPTIONS, Text("paris"), 'question 1 › option 3: same as option 1 ("paris")'),
    (OPTIONS, Text("x" * 101), "question 1 › option 3: 101 characters, at most 100 allowed"),
    (TWELVE, Text("one more"), "question 1 › options: 13 options given, at most 12 allowed"),
    (replace(OPTIONS, options=("a",)), Press(END_OPTIONS), "At least 2 options are needed."),
    (replace(OPTIONS, step=Step.CORRECT), Press(RIGHT_DONE), "Press at least one right option."),
    (
        replace(OPTIONS, step=Step.EXPLANATION, correct=frozenset({0})),
        Text("e" * 201),
        "question 1 › explanation: 201 characters, at most 200 allowed",
    ),
    (
        replace(OPTIONS, step=Step.TIME, correct=frozenset({0})),
        Text("4"),
        "question 1 › time_limit: 4 seconds, 5 to 600 allowed",
    ),
    (
        replace(OPTIONS, step=Step.TIME, correct=frozenset({0})),
        Text("soon"),
        'question 1 › time_limit: expected whole seconds, got text ("soon")',
    ),
    (Draft(Step.QUESTION, "T"), Done(), "Add a question first."),
    (
        Draft(Step.QUESTION, "T", (Q1,) * limits.QUESTIONS_MAX),
        Text("One too many?"),
        "At most 100 questions: /done.",
    ),
    (replace(OPTIONS, step=Step.CORRECT), Text("Paris"), "Not now."),
    (Draft(Step.QUESTION, "T"), Press(SKIP), "Not now."),
    (Draft(Step.SHUFFLE, "T", (Q1,)), Text("yes"), "Not now."),
]


@pytest.mark.parametrize(("most", "allowed"), [(3, False), (4, True), (500, True)])
def test_the_question_quota_caps_a_quiz_below_the_formats_limit(most: int, allowed: bool) -> None:
    draft = Draft(Step.QUESTION, "T", (Q1,) * 3)

    turn = step(draft, Text("Fourth?"), most=most)

    assert (turn.draft is not None and turn.draft.step is Step.OPTIONS) is allowed
    if not allowed:
        assert turn.draft == draft and "At most 3 questions: /done." in turn.prompt.text


@pytest.mark.parametrize(("draft", "event", "refusal"), REFUSALS)
def test_a_refused_step_says_why_and_keeps_the_draft(
    draft: Draft, event: Event, refusal: str
) -> None:
    turn = step(draft, event)

    assert turn.draft == draft
    assert turn.prompt.text.splitlines()[0] == f"⚠️ {refusal}"


@pytest.mark.parametrize("at", list(Step))
def test_cancel_drops_the_draft_at_any_step(at: Step) -> None:
    turn = step(replace(OPTIONS, step=at), Cancel())

    assert (turn.draft, turn.quiz) == (None, None)
    assert turn.prompt.text == "🗑 The draft is dropped."


def test_done_in_the_middle_of_a_question_keeps_the_finished_ones() -> None:
    turn = step(replace(OPTIONS, questions=(Q1,)), Done())

    assert turn.draft == Draft(Step.SHUFFLE, "T", (Q1,))
    assert turn.prompt.text.startswith("The unfinished question was left out.")
    finished = step(turn.draft, Press(SHUFFLE_OFF))
    assert finished.quiz is not None and finished.quiz.questions == (Q1,)


def test_a_press_of_a_stale_or_foreign_button_changes_nothing() -> None:
    draft = replace(OPTIONS, step=Step.CORRECT)

    for data in ["w:c:9", "w:c:x", "a:1:0:0", "w:t:30"]:
        assert step(draft, Press(data)).draft == draft


def test_the_prompts_speak_the_hosts_language() -> None:
    from quizbot.locales import translator

    turn = start(translator("es"))
    assert turn.prompt.text != start().prompt.text
    refusal = step(Draft(Step.QUESTION, "T"), Done(), translator("ru")).prompt.text
    assert not refusal.startswith("⚠️ Add a question first.")
