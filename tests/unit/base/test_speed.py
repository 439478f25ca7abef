"""The speed switches: REPORTGEN_SPEED_OFF's names, `all`, and a clear refusal of any other name."""

from __future__ import annotations

import gc
import importlib
from pathlib import Path

import pytest

from reportgen.apps.cli.main import main
from reportgen.base import speed
from reportgen.base.errors import ExitCode, InputError
from reportgen.base.speed import SPEED_OFF_VARIABLE, Switch, on, switched_off

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_every_switch_is_on_when_the_variable_is_unset_or_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SPEED_OFF_VARIABLE, raising=False)
    assert all(on(switch) for switch in Switch)
    monkeypatch.setenv(SPEED_OFF_VARIABLE, " , ")
    assert all(on(switch) for switch in Switch)


def test_names_separated_by_commas_turn_those_switches_off() -> None:
    assert switched_off("pause_gc,exit_fast") == {Switch.PAUSE_GC, Switch.EXIT_FAST}
    assert switched_off(" Fork_Background , ") == {Switch.FORK_BACKGROUND}
    assert switched_off("exit_fast,exit_fast") == {Switch.EXIT_FAST}
    assert switched_off("preload_workers") == {Switch.PRELOAD_WORKERS}


def test_all_turns_every_switch_off() -> None:
    assert switched_off("all") == set(Switch)
    assert switched_off("pause_gc, ALL") == set(Switch)


def test_the_variable_is_read_on_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SPEED_OFF_VARIABLE, "exit_fast")
    assert not on(Switch.EXIT_FAST) and on(Switch.PAUSE_GC)
    monkeypatch.setenv(SPEED_OFF_VARIABLE, "pause_gc")
    assert on(Switch.EXIT_FAST) and not on(Switch.PAUSE_GC)


def test_an_unknown_name_is_refused_with_the_names_there_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SPEED_OFF_VARIABLE, "pause_gc,exit-fast")
    with pytest.raises(InputError) as raised:
        on(Switch.PAUSE_GC)
    message = raised.value.message("en")
    assert SPEED_OFF_VARIABLE in message and '"exit-fast"' in message
    for name in (*(switch.key for switch in Switch), "all"):
        assert name in message, name
    assert raised.value.exit_code == ExitCode.BAD_INPUT
    assert SPEED_OFF_VARIABLE in raised.value.message("zh") and "exit-fast" in raised.value.message("zh")


def test_the_command_line_refuses_an_unknown_name_before_running(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(SPEED_OFF_VARIABLE, "fast")
    assert main(["--version"]) == ExitCode.BAD_INPUT
    said = capsys.readouterr().err
    assert f"reportgen: '{SPEED_OFF_VARIABLE}' is \"fast\"; expected one of: pause_gc" in said


def test_pause_gc_off_leaves_the_collector_running(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    command_line = importlib.import_module("reportgen.apps.cli.main").cli
    monkeypatch.setattr(command_line, "main", lambda **kwargs: seen.append(gc.isenabled()))
    monkeypatch.setenv(SPEED_OFF_VARIABLE, "pause_gc")
    assert main(["check"]) == ExitCode.OK
    monkeypatch.delenv(SPEED_OFF_VARIABLE)
    assert main(["check"]) == ExitCode.OK
    assert seen == [True, False] and gc.isenabled()


def test_each_switch_says_what_it_does_why_it_is_safe_and_its_figure() -> None:
    assert len({switch.key for switch in Switch}) == len(Switch)
    page = (DOCS / "speed.md").read_text("utf-8")
    for switch in Switch:
        doc = switch.__doc__ or ""
        assert "Safe because" in doc and "Figure:" in doc and "{" not in doc, switch.key
        assert f"`{switch.key}`" in page, switch.key
    assert f"`{speed.SPEED_OFF_VARIABLE}" in page
