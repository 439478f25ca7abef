"""reportgen.toml: found, parsed and validated once; every error names the file and the key."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen import vocab
from reportgen.errors import InputError
from reportgen.model import METRICS, Channel, Principle

CONFIG_NAME = "reportgen.toml"
DATE_ORDERS = ("YMD", "MDY", "DMY")


@dataclass(frozen=True, slots=True)
class ConfigRule:
    """A `[[rules]]` entry: channel and/or keyword → goal and/or principle."""

    name: str
    channel: Channel | None
    keyword: str | None
    goal: str | None
    principle: Principle | None


@dataclass(frozen=True, slots=True)
class Config:
    """Validated settings; defaults are what SPEC promises when the file says nothing."""

    path: Path | None = None
    team: str | None = None
    currency: str | None = None
    date_order: str | None = None
    max_rows: int = 200_000
    compounding_channels: tuple[Channel, ...] = (Channel.SEO, Channel.CONTENT)
    result_metric: dict[Channel, str] = field(default_factory=dict)
    rules: tuple[ConfigRule, ...] = ()


def find_config(explicit: str | Path | None, workbook: Path | None) -> Path | None:
    """SPEC's discovery order: --config, beside the workbook, the current folder, the user's config folder."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise InputError(path, "config_missing")
        return path
    candidates = []
    if workbook is not None:
        candidates.append(workbook.resolve().parent / CONFIG_NAME)
    candidates.append(Path.cwd() / CONFIG_NAME)
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    candidates.append(config_home / "reportgen" / CONFIG_NAME)
    return next((candidate for candidate in candidates if candidate.is_file()), None)


def load_config(explicit: str | Path | None = None, workbook: Path | None = None) -> Config:
    """Find and validate the config; no file means defaults."""
    path = find_config(explicit, workbook)
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, "config_syntax", detail=str(exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, "config_unreadable", detail=str(exc)) from exc
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path | None = None) -> Config:
    """Validate a parsed TOML document; an unknown key is refused so a typo is never ignored."""
    known = {"team", "currency", "date_order", "limits", "channels", "rules", "email", "review"}
    for key in data:
        if key not in known:
            raise InputError(path, "config_key", key=key, expected=", ".join(sorted(known)))
    team = _optional_str(data, "team", path)
    currency = _optional_str(data, "currency", path)
    if currency is not None:
        currency = vocab.CURRENCY_SYMBOLS.get(currency.strip().casefold(), currency.strip())
    date_order = _optional_str(data, "date_order", path)
    if date_order is not None and date_order.upper() not in DATE_ORDERS:
        raise InputError(
            path, "config_value", key="date_order", value=date_order, expected=", ".join(DATE_ORDERS)
        )
    limits = _table(data, "limits", path)
    max_rows = limits.get("max_rows", 200_000)
    if not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 1:
        raise InputError(
            path, "config_value", key="limits.max_rows", value=max_rows, expected="a positive integer"
        )
    channels = _table(data, "channels", path)
    compounding = tuple(
        _channel(value, f"channels.compounding[{index}]", path)
        for index, value in enumerate(channels.get("compounding", ["seo", "content"]))
    )
    result_metric: dict[Channel, str] = {}
    for channel_key, metric in _table(channels, "result_metric", path).items():
        if metric not in METRICS:
            raise InputError(
                path,
                "config_value",
                key=f"channels.result_metric.{channel_key}",
                value=metric,
                expected=", ".join(METRICS),
            )
        result_metric[_channel(channel_key, "channels.result_metric", path)] = metric
    rules_data = data.get("rules", [])
    if not isinstance(rules_data, list):
        raise InputError(
            path, "config_value", key="rules", value=type(rules_data).__name__, expected="[[rules]] tables"
        )
    rules = tuple(_rule(entry, index, path) for index, entry in enumerate(rules_data, start=1))
    return Config(
        path=path,
        team=team,
        currency=currency,
        date_order=date_order.upper() if date_order else None,
        max_rows=max_rows,
        compounding_channels=compounding,
        result_metric=result_metric,
        rules=rules,
    )


def _rule(entry: Any, index: int, path: Path | None) -> ConfigRule:
    where = f"rules[{index}]"
    if not isinstance(entry, dict):
        raise InputError(path, "config_value", key=where, value=entry, expected="a table")
    allowed = {"name", "channel", "keyword", "goal", "principle"}
    for key in entry:
        if key not in allowed:
            raise InputError(path, "config_key", key=f"{where}.{key}", expected=", ".join(sorted(allowed)))
    channel = _channel(entry["channel"], f"{where}.channel", path) if "channel" in entry else None
    keyword = str(entry["keyword"]).strip() if entry.get("keyword") else None
    goal = str(entry["goal"]).strip() if entry.get("goal") else None
    principle = None
    if entry.get("principle"):
        principle = vocab.PRINCIPLE_WORDS.get(vocab.key(str(entry["principle"])))
        if principle is None:
            raise InputError(
                path,
                "config_value",
                key=f"{where}.principle",
                value=entry["principle"],
                expected=", ".join(p.value for p in Principle),
            )
    if channel is None and keyword is None:
        raise InputError(path, "config_rule_match", key=where)
    if goal is None and principle is None:
        raise InputError(path, "config_rule_effect", key=where)
    return ConfigRule(str(entry.get("name") or f"#{index}"), channel, keyword, goal, principle)


def _channel(value: Any, key: str, path: Path | None) -> Channel:
    channel = vocab.CHANNEL_WORDS.get(vocab.key(str(value)))
    if channel is None:
        raise InputError(
            path, "config_value", key=key, value=value, expected=", ".join(c.value for c in Channel)
        )
    return channel


def _optional_str(data: dict[str, Any], key: str, path: Path | None) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(path, "config_value", key=key, value=value, expected="text")
    return value


def _table(data: dict[str, Any], key: str, path: Path | None) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InputError(path, "config_value", key=key, value=value, expected="a table")
    return value
