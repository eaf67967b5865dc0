"""A production install leaves matplotlib and pgserver out; what still works, what says so."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from quizbot.extras import MissingExtra, import_extra

# Runs the CLI in a fresh interpreter where the extras cannot be imported, as on the VM.
_WITHOUT_EXTRAS = textwrap.dedent(
    """
    import sys
    from importlib.abc import MetaPathFinder

    class Absent(MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("matplotlib", "pgserver"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Absent())
    from quizbot.cli.main import cli
    cli.main(sys.argv[1:], prog_name="quizbot")
    """
)


def _quizbot_without_extras(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_EXTRAS, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_a_missing_extra_names_the_package_and_the_extra_to_install() -> None:
    with pytest.raises(MissingExtra, match=r"needs no_such_pkg_qb.*pip install 'quizbot\[bench\]'"):
        import_extra("no_such_pkg_qb", "bench", "the plot")


def test_an_extra_that_is_installed_is_returned() -> None:
    assert import_extra("json", "bench", "x").dumps([1]) == "[1]"


def test_a_missing_dependency_inside_an_installed_extra_is_not_disguised() -> None:
    # Only the extra itself missing means "install the extra"; anything else is a real bug.
    with pytest.raises(ModuleNotFoundError):
        import_extra("json.no_such_submodule", "bench", "x")


def test_sim_players_works_without_the_extras(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "env").write_text("")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "QUIZBOT_ENV_FILE": str(tmp_path / "env"),
    }
    done = _quizbot_without_extras("sim", "players", "--help", env=env)
    assert done.returncode == 0, done.stderr
    assert "--webhook-url" in done.stdout


def test_the_embedded_database_without_its_extra_is_a_one_line_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "env").write_text("")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "QUIZBOT_ENV_FILE": str(tmp_path / "env"),
        "QUIZBOT_VAR_DIR": str(tmp_path / "var"),
    }
    done = _quizbot_without_extras("db", "status", env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "pip install 'quizbot[embedded]'" in done.stderr
    assert not (tmp_path / "var" / "pgdata").exists()
