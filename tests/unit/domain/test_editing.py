"""Editing a stored quiz in the chat: the conversation as a table of events and what
each leaves (the draft's step, the prompt, the quiz to store)."""

from dataclasses import replace

import pytest

from quizbot.domain import limits
from quizbot.domain.draft import from_data, to_data
from quizbot.domain.editing import (
    ADD,
    BACK,
    CHANGE,
    DELETE,
    FINISH,
    PICK,
    RENAME,
    begin,
    resume,
    step,
)
from quizbot.domain.prompts import END_OPTIONS, RIGHT_DONE, SKIP
from quizbot.domain.quiz import Question
from quizbot.domain.wizard import Cancel, Done, Draft, Event, Press, Step, Text, Turn

Q1 = Question("Two plus two?", ("3", "4", "5"), frozenset({1}), "Basic sums.", 30)
Q2 = Question("Pick a prime", ("4", "7", "11"), frozenset({1, 2}), None, 45)
NEW = Question("Capital of Peru?", ("Lima", "Quito"), frozenset({0}), None, 20)
WRITE_NEW = [
    Text("Capital of Peru?"),
    Text("Lima\nQuito"),
    Press(END_OPTIONS),
    Press("w:c:0"),
    Press(RIGHT_DONE),
    Press(SKIP),
    Press("w:t:20"),
]
QUIZ_ID = 41


def run(events: list[Event]) -> list[Turn]:
    turns = [begin(QUIZ_ID, "Sums", (Q1, Q2))]
    for event in events:
        current = turns[-1].draft
        assert current is not None, "the conversation ended early"
        turns.append(step(current, event))
    return turns[1:]


@pytest.mark.parametrize(
    ("events", "title", "questions", "said"),
    [
        ([Press(RENAME), Text("  Sums & more ")], "Sums & more", (Q1, Q2), "✅ Renamed."),
        ([Press(ADD), *WRITE_NEW], "Sums", (Q1, Q2, NEW), "✅ Question 3 added."),
        (
            [Press(CHANGE), Press(f"{PICK}0"), *WRITE_NEW],
            "Sums",
            (NEW, Q2),
            "✅ Question 1 changed.",
        ),
        (
            [Press(CHANGE), Press(f"{PICK}1"), *WRITE_NEW],
            "Sums",
            (Q1, NEW),
            "✅ Question 2 changed.",
        ),
        ([Press(DELETE), Press(f"{PICK}0")], "Sums", (Q2,), "🗑 Question 1 deleted."),
        ([Press(DELETE), Text(" 2 ")], "Sums", (Q1,), "🗑 Question 2 deleted."),
        ([Press(CHANGE), Text("2"), *WRITE_NEW], "Sums", (Q1, NEW), "✅ Question 2 changed."),
    ],
)
def test_each_change_ends_at_the_menu_with_the_quiz_to_store(
    events: list[Event], title: str, questions: tuple[Question, ...], said: str
) -> None:
    turns = run(events)

    last = turns[-1]
    assert last.draft == Draft(Step.MENU, title, questions, editing=QUIZ_ID)
    assert last.quiz is not None and (last.quiz.title, last.quiz.questions) == (title, questions)
    assert last.prompt.text.startswith(said + "\n\n✏️ <b>")
    assert all(turn.quiz is None for turn in turns[:-1])  # nothing is stored half-way


def test_the_menu_offers_every_change_and_done() -> None:
    prompt = begin(QUIZ_ID, "Sums & co", (Q1, Q2)).prompt

    assert prompt.text == "✏️ <b>Sums &amp; co</b>: 2 questions. What do you change?"
    assert [data for row in prompt.buttons for _, data in row] == [
        RENAME, ADD, CHANGE, DELETE, FINISH,
    ]  # fmt: skip


def test_a_question_written_anew_is_named_by_its_number_and_refused_in_the_importers_words() -> (
    None
):
    turns = run([Press(CHANGE), Press(f"{PICK}1"), Text("Capital?"), Text("Lima\nlima")])

    assert turns[0].prompt.buttons[-1] == (("↩️ Back", BACK),)
    assert [label for row in turns[0].prompt.buttons[:-1] for label, _ in row] == [
        "1. Two plus two?",
        "2. Pick a prime",
    ]
    assert turns[1].prompt.text.startswith(
        "Question 2 was: Pick a prime\n\nQuestion 2: send its text"
    )
    assert turns[-1].draft is not None and turns[-1].draft.options == ()  # the message refused
    assert 'question 2 › option 2: same as option 1 ("lima")' in turns[-1].prompt.text
    # The quiz under way keeps every question, and which one is written anew.
    assert turns[-1].draft.questions == (Q1, Q2) and turns[-1].draft.replacing == 1


@pytest.mark.parametrize(
    ("events", "step_after", "said"),
    [
        ([Press(RENAME), Text("x" * (limits.TITLE_MAX + 1))], Step.TITLE, "title: "),
        ([Press(DELETE), Press(f"{PICK}7")], Step.DELETE_WHICH, "Which question do you delete?"),
        ([Press(DELETE), Text("3")], Step.DELETE_WHICH, "⚠️ Not now."),
        ([Press(DELETE), Press(BACK)], Step.MENU, "What do you change?"),
        ([Press(ADD), Text("Q?"), Done()], Step.MENU, "The unfinished question was left out."),
        ([Text("hello")], Step.MENU, "⚠️ Not now."),
    ],
)
def test_what_is_refused_or_dropped_changes_nothing(
    events: list[Event], step_after: Step, said: str
) -> None:
    last = run(events)[-1]

    assert last.quiz is None and last.draft is not None
    assert last.draft.step is step_after and last.draft.questions == (Q1, Q2)
    assert said in last.prompt.text


def test_the_last_question_cannot_be_deleted() -> None:
    draft = Draft(Step.DELETE_WHICH, "Sums", (Q1,), editing=QUIZ_ID)

    turn = step(draft, Press(f"{PICK}0"))

    assert turn.quiz is None and turn.draft is not None and turn.draft.questions == (Q1,)
    assert turn.prompt.text.startswith("⚠️ A quiz keeps at least one question.")


@pytest.mark.parametrize("event", [Done(), Press(FINISH), Cancel()])
def test_done_or_cancel_at_the_menu_ends_the_edit(event: Event) -> None:
    turn = step(Draft(Step.MENU, "Sums", (Q1,), editing=QUIZ_ID), event)

    assert turn.draft is None and turn.quiz is None
    assert turn.prompt.text == "✅ Editing is over. /myquizzes lists your quizzes."


def test_an_edit_under_way_is_stored_and_resumed_where_it_was() -> None:
    [*_, under_way] = run([Press(CHANGE), Press(f"{PICK}1"), Text("Capital?")])
    assert under_way.draft is not None

    again = from_data(to_data(under_way.draft))

    assert again == under_way.draft and (again.editing, again.replacing) == (QUIZ_ID, 1)
    assert resume(again).text.startswith("Send the options")
    assert from_data({**to_data(replace(again, editing=None, replacing=None))}).editing is None


def test_a_long_quiz_shows_a_button_for_the_first_questions_and_takes_any_number() -> None:
    many = tuple(replace(Q1, text=f"Q{n}?") for n in range(1, limits.QUESTIONS_MAX + 1))
    draft = Draft(Step.CHANGE_WHICH, "Long", many, editing=QUIZ_ID)

    prompt = step(draft, Text("hello")).prompt
    turn = step(draft, Text(str(limits.QUESTIONS_MAX)))

    buttons = [data for row in prompt.buttons for _, data in row]
    assert len(buttons) <= 100 and buttons[-1] == BACK
    assert turn.draft is not None and turn.draft.replacing == limits.QUESTIONS_MAX - 1
    assert turn.prompt.text.startswith(f"Question {limits.QUESTIONS_MAX} was: Q100?")


def test_add_is_refused_at_the_question_quota() -> None:
    turn = step(Draft(Step.MENU, "Sums", (Q1, Q2), editing=QUIZ_ID), Press(ADD), most=2)

    assert turn.quiz is None and turn.draft is not None and turn.draft.step is Step.MENU
    assert turn.prompt.text.startswith("⚠️ At most 2 questions: /done.")
