import pytest

from quizbot.domain.ownership import Action, Actor, Ownership, Visibility, may

OWNER, OTHER = 1001, 2002
MINE_PRIVATE = Ownership(OWNER, Visibility.PRIVATE)
MINE_PUBLIC = Ownership(OWNER, Visibility.PUBLIC)
IMPORTED = Ownership(None)  # an operator's import: no owner, public

owner, other = Actor(OWNER), Actor(OTHER)
via_link = Actor(OTHER, shared=True)
operator = Actor(operator=True)
ALL = list(Action)

# (who, quiz) -> the actions allowed; every other action is refused.
CASES = [
    (owner, MINE_PRIVATE, ALL),
    (owner, MINE_PUBLIC, ALL),
    (other, MINE_PRIVATE, []),
    (via_link, MINE_PRIVATE, [Action.PLAY]),
    (other, MINE_PUBLIC, [Action.FIND, Action.PLAY, Action.EXPORT]),
    (via_link, MINE_PUBLIC, [Action.FIND, Action.PLAY, Action.EXPORT]),
    (other, IMPORTED, [Action.FIND, Action.PLAY, Action.EXPORT]),
    (Actor(None), IMPORTED, [Action.FIND, Action.PLAY, Action.EXPORT]),
    (Actor(None), MINE_PRIVATE, []),
    (operator, MINE_PRIVATE, ALL),
    (operator, IMPORTED, ALL),
]


@pytest.mark.parametrize(
    ("actor", "quiz", "action", "allowed"),
    [(actor, quiz, action, action in allowed) for actor, quiz, allowed in CASES for action in ALL],
)
def test_who_may_do_what_with_a_quiz(
    actor: Actor, quiz: Ownership, action: Action, allowed: bool
) -> None:
    assert may(actor, action, quiz) is allowed


def test_visibility_defaults_to_public_as_in_the_schema_so_imports_stay_public() -> None:
    assert Ownership(OWNER).visibility is Visibility.PUBLIC
    assert [v.value for v in Visibility] == ["private", "public"]
