"""reportgen.toml: discovery order and validation that names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.config import load_config
from reportgen.errors import InputError
from reportgen.model import Channel, Principle


def test_discovery_prefers_explicit_then_beside_the_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    beside = tmp_path / "books"
    beside.mkdir()
    (beside / "reportgen.toml").write_text('team = "Beside"\n')
    (tmp_path / "reportgen.toml").write_text('team = "Cwd"\n')
    explicit = tmp_path / "other.toml"
    explicit.write_text('team = "Explicit"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert load_config(explicit, beside / "a.xlsx").team == "Explicit"
    assert load_config(None, beside / "a.xlsx").team == "Beside"
    assert load_config(None, tmp_path / "elsewhere" / "a.xlsx").team == "Cwd"
    (tmp_path / "reportgen.toml").unlink()
    (tmp_path / "xdg" / "reportgen").mkdir(parents=True)
    (tmp_path / "xdg" / "reportgen" / "reportgen.toml").write_text('team = "User"\n')
    assert load_config(None, tmp_path / "elsewhere" / "a.xlsx").team == "User"


def test_rules_and_channels_are_validated(tmp_path: Path) -> None:
    path = tmp_path / "reportgen.toml"
    path.write_text(
        'currency = "RMB"\ndate_order = "dmy"\n[channels]\ncompounding = ["SEO", "文章"]\n'
        '[channels.result_metric]\nseo = "visits"\n'
        '[[rules]]\nname = "seo-keywords"\nchannel = "seo"\ngoal = "G1"\nprinciple = "延迟满足"\n'
    )
    config = load_config(path)
    assert config.currency == "¥" and config.date_order == "DMY"
    assert config.compounding_channels == (Channel.SEO, Channel.CONTENT)
    assert config.result_metric == {Channel.SEO: "visits"}
    (rule,) = config.rules
    assert (rule.name, rule.channel, rule.goal, rule.principle) == (
        "seo-keywords",
        Channel.SEO,
        "G1",
        Principle.DEFERRED_PAYOFF,
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("tema = 'x'\n", "unknown key 'tema'"),
        ("date_order = 'YDM'\n", "'date_order'"),
        ("[[rules]]\ngoal = 'G1'\n", "rules[1] has neither channel nor keyword"),
        ("[[rules]]\nchannel = 'seo'\n", "rules[1] has neither goal nor principle"),
        ("[[rules]]\nchannel = 'radio'\ngoal = 'G1'\n", "'rules[1].channel'"),
        ("[limits]\nmax_rows = -1\n", "'limits.max_rows'"),
        ("team = \n", "not valid TOML"),
    ],
)
def test_errors_name_the_file_and_key(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "reportgen.toml"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        load_config(path)
    assert str(path) in error.value.message()
    assert words in error.value.message()


def test_missing_explicit_config_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        load_config(tmp_path / "nope.toml")
