"""reportgen.toml: found, parsed and validated once; every error names the file and the key."""

from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from reportgen.base import vocab
from reportgen.base.catalogue import LANGUAGES
from reportgen.base.channels import COMPOUNDING as DEFAULT_COMPOUNDING
from reportgen.base.errors import InputError
from reportgen.base.model import METRICS, Channel, Principle
from reportgen.base.states import ChatKind

CONFIG_NAME = "reportgen.toml"
DATE_ORDERS = ("MDY", "DMY")  # how 10/5/2026 is read; 2026/10/5 is always YMD


@dataclass(frozen=True, slots=True)
class ConfigRule:
    """A `[[rules]]` entry: channel and/or keyword → goal and/or principle."""

    name: str
    channel: Channel | None
    keyword: str | None
    goal: str | None
    principle: Principle | None


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """`[serve]`: how large an upload may be, how long it is kept, which extra Host names are accepted."""

    max_upload_mb: int = 20
    retention_minutes: int = 60
    allow_hosts: tuple[str, ...] = ()
    public_url: str | None = None  # where readers reach this serve: chat cards link to the review there
    link_days: int = 30  # how long a chat card's link to the review answers
    # who is signed in (docs/department.md): "accounts", "proxy", "none"; None: accounts when any account
    # exists or serve listens beyond loopback, else the one-person page
    auth: str | None = None
    proxy_header: str = "X-Forwarded-User"  # auth = "proxy": the header the reverse proxy names the user in
    proxy_addresses: tuple[str, ...] = ()  # ...believed only from these addresses or networks
    session_hours: int = 12  # a sign-in lasts this long
    login_attempts: int = 5  # failed sign-ins within lockout_minutes that lock an account (3x: an address)
    lockout_minutes: int = 15


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """A `[[targets]]` entry: a chat group's bot the review is posted to. Its signing secret is never in the
    file: it comes from `secret_variable` (or the OS keyring, service `reportgen`, user `target:<name>`)."""

    name: str
    kind: ChatKind
    url: str  # the bot's webhook address, its token included
    keyword: str | None = None  # the bot's keyword security: every message carries it
    language: str | None = None  # None: the review's language
    timeout: float = 15.0

    @property
    def secret_variable(self) -> str:
        """The environment variable holding this bot's signing secret: REPORTGEN_SECRET_<NAME>."""
        return "REPORTGEN_SECRET_" + re.sub(r"[^A-Z0-9]+", "_", self.name.upper()).strip("_")


@dataclass(frozen=True, slots=True)
class DepartmentSettings:
    """`[department]`: the head of marketing's roll-up across teams (docs/rollup.md): its name, the audience
    `rollup --email` reaches, and the rates that put every team's cost in one currency (`currency`), with
    the date they were taken; without rates each currency stays apart. With `day`, the schedule builds the
    roll-up of the month just ended on that day (at `[schedule] time`), drafted to `approver` first when set
    (docs/cycle.md)."""

    name: str | None = None
    to: tuple[str, ...] = ()
    currency: str | None = None  # the currency the rates convert into
    rates: tuple[tuple[str, Decimal], ...] = ()  # (currency, units of `currency` one unit of it is worth)
    rates_date: dt.date | None = None
    day: int | None = None  # 1-31 (29-31: the last day of shorter months); None: no scheduled roll-up
    approver: str | None = None  # the roll-up's draft goes here first; `to` only after `reportgen approve`


ARCHIVE_URL_VARIABLE = "REPORTGEN_ARCHIVE_URL"
TIME_FORMAT = re.compile(r"(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?")


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    """`[schedule]`: when the month's review builds itself and who approves it before management gets it.
    The review covers the month just ended; a run that finds no new workbook reminds and retries daily until
    `cutoff_day`."""

    workbooks: Path  # a workbook, or a folder whose workbooks are each one team's
    out: Path | None = None  # where the reviews go; None: a `reviews` folder beside the workbooks
    day: int = 3  # 1-31; 29-31 run on the last day of shorter months
    time: dt.time = dt.time(9, 0)
    timezone: str | None = None  # IANA name; None: this machine's zone
    approver: str | None = None  # the draft goes here first; management only after `reportgen approve`
    remind_days: int = 2  # a reminder this many days before the run; 0: none
    cutoff_day: int = 10  # the last day a missing or unchanged workbook is waited for

    @property
    def shorter_months_note(self) -> bool:
        """True when `day` does not exist in every month (it then runs on the month's last day)."""
        return self.day > 28


@dataclass(frozen=True, slots=True)
class ArchiveSettings:
    """`[archive]`: where builds and sends are remembered. No url: a SQLite file in the user's data folder;
    REPORTGEN_ARCHIVE_URL, when set, wins over the file (a team points every machine at one PostgreSQL)."""

    url: str | None = None
    keep_workbooks: bool = False  # the workbook's bytes too, not only its SHA-256 and name


QUEUE_URL_VARIABLE = "REPORTGEN_QUEUE_URL"


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """`[queue]`: the Redis that carries builds and sends to `reportgen worker`s. No url: everything runs on
    this machine, as without the queue; REPORTGEN_QUEUE_URL, when set, wins over the file."""

    url: str | None = None
    visibility_timeout: int = 3600  # seconds a task may run before Redis hands it to another worker
    wait_minutes: int = 60  # how long a front end waits for one task's answer before it gives up


PDF_STANDARDS = ("pdf/a-3b", "pdf/ua-1")  # what `[pdf] standard` may name


@dataclass(frozen=True, slots=True)
class PdfSettings:
    """`[pdf]`: which standards the review's PDF keeps (`build --pdfa` / `--pdfua` turn them on too). The
    default is the plain PDF of before: an archival or tagged PDF costs time and size (README, "The archival
    and accessible PDF")."""

    archival: bool = False  # PDF/A-3b, the figures (and the workbook) as associated files
    accessible: bool = False  # PDF/UA-1: tagged, with the language, the title and every chart in words
    embed_source: bool = False  # the workbook itself travels inside the PDF (AFRelationship Source)


@dataclass(frozen=True, slots=True)
class Config:
    """Validated settings; defaults are what docs/configuration.md promises when the file says nothing."""

    path: Path | None = None
    team: str | None = None
    currency: str | None = None
    date_order: str | None = None
    max_rows: int = 200_000
    compounding_channels: tuple[Channel, ...] = DEFAULT_COMPOUNDING
    result_metric: dict[Channel, str] = field(default_factory=dict)
    rules: tuple[ConfigRule, ...] = ()
    email: EmailSettings = field(default_factory=lambda: EmailSettings())
    serve: ServeSettings = field(default_factory=ServeSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    schedule: ScheduleSettings | None = None
    queue: QueueSettings = field(default_factory=QueueSettings)
    pdf: PdfSettings = field(default_factory=PdfSettings)
    targets: tuple[ChatSettings, ...] = ()  # chat groups beside mail, in the file's order
    department: DepartmentSettings | None = None  # the roll-up across teams (`reportgen rollup`)

    @property
    def reader_languages(self) -> tuple[str, ...]:
        """The languages readers named in the config read (`[email.languages]`, `[[targets]] language`):
        every build makes the review in each of them too."""
        named = [lang for _, lang in self.email.languages] + [t.language for t in self.targets if t.language]
        return tuple(dict.fromkeys(named))

    def target(self, name: str) -> ChatSettings | None:
        """The `[[targets]]` entry of that name (names are unique), or None."""
        return next((target for target in self.targets if target.name == name), None)

    @property
    def zone(self) -> dt.tzinfo:
        """The team's time zone: `[schedule] timezone` when set, else this machine's. A day a reader is told
        ("delivered on", a revision's "replaces the review sent on") is a day there, as a scheduled run's
        review date is: a send at 00:10 in Shanghai is on the 8th, not on the 7th of UTC."""
        return local_zone(self.schedule.timezone if self.schedule else None)


def local_zone(timezone: str | None) -> dt.tzinfo:
    """The IANA zone `timezone` names, else this machine's."""
    if timezone:
        from zoneinfo import ZoneInfo

        return ZoneInfo(timezone)
    here = dt.datetime.now().astimezone().tzinfo
    assert here is not None
    return here


def local_minute(moment: dt.datetime, zone: dt.tzinfo | None) -> str:
    """`moment` to the minute in `zone` (None: this machine's), with the zone's abbreviation: the archive
    keeps UTC, and a lead in Shanghai reading a server's history must know whose clock a time is on."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def local_day(moment: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """The day (YYYY-MM-DD) of `moment` in `zone` (None: this machine's): never the day of the UTC the
    archive keeps moments in."""
    return moment.astimezone(zone).date().isoformat()


def find_config(explicit: str | Path | None, workbook: Path | None) -> Path | None:
    """docs/configuration.md's discovery order: --config, beside the workbook, the current folder, the user's
    config folder."""
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
        return parse_config({})  # the defaults, and REPORTGEN_ARCHIVE_URL
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, "config_syntax", detail=str(exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, "config_unreadable", detail=str(exc)) from exc
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path | None = None) -> Config:
    """Validate a parsed TOML document; an unknown key is refused so a typo is never ignored, and a value of
    the wrong type is an InputError naming the file and the key, never a traceback."""
    _known_keys(
        data,
        {"team", "currency", "date_order", "limits", "channels", "rules", "email", "serve"}
        | {"archive", "schedule", "queue", "pdf", "targets", "department"},
        "",
        path,
    )
    team = _optional_str(data, "team", path)
    currency = _optional_str(data, "currency", path)
    if currency is not None:
        currency = vocab.CURRENCY_SYMBOLS.get(currency.strip().casefold(), currency.strip())
    date_order = _optional_str(data, "date_order", path)
    if date_order is not None and date_order.strip().upper() not in DATE_ORDERS:
        # 2026/10/5 is always year-month-day (docs/workbook.md): the setting only orders 10/5/2026
        raise _wrong(path, "date_order", date_order, "one_of", values=DATE_ORDERS)
    email = parse_email(_table(data, "email", path), path)
    limits = _table(data, "limits", path)
    _known_keys(limits, {"max_rows"}, "limits.", path)
    max_rows = limits.get("max_rows", 200_000)
    if not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 1:
        raise _wrong(path, "limits.max_rows", max_rows, "positive_integer")
    channels = _table(data, "channels", path)
    _known_keys(channels, {"compounding", "result_metric"}, "channels.", path)
    compounding_words = _str_list(channels, "compounding", path, "channels.compounding")
    compounding = (
        tuple(_channel(word, "channels.compounding", path) for word in compounding_words)
        if compounding_words is not None
        else DEFAULT_COMPOUNDING
    )
    result_metric: dict[Channel, str] = {}
    for channel_key, metric in _table(channels, "result_metric", path, "channels.result_metric").items():
        where = f"channels.result_metric.{channel_key}"
        if not isinstance(metric, str) or metric.strip() not in METRICS:
            raise _wrong(path, where, metric, "one_of", values=METRICS)
        result_metric[_channel(channel_key, where, path)] = metric.strip()
    rules_data = data.get("rules", [])
    if not isinstance(rules_data, list):
        raise _wrong(path, "rules", rules_data, "rules")
    rules = tuple(_rule(entry, index, path) for index, entry in enumerate(rules_data, start=1))
    return Config(
        path=path,
        team=team,
        currency=currency,
        date_order=date_order.strip().upper() if date_order else None,
        max_rows=max_rows,
        compounding_channels=compounding,
        result_metric=result_metric,
        rules=rules,
        email=email,
        serve=_serve_settings(data, path),
        archive=_archive_settings(data, path),
        schedule=_schedule_settings(data, path),
        queue=_queue_settings(data, path),
        pdf=_pdf_settings(data, path),
        targets=_chat_targets(data, path),
        department=_department_settings(data, path),
    )


def _department_settings(data: dict[str, Any], path: Path | None) -> DepartmentSettings | None:
    """`[department]`: a name, `to` (addresses), and `rates` with `currency` and `rates_date`; the rates are
    positive numbers keyed by currency (a symbol or a code, read like the top-level `currency`)."""
    if "department" not in data:
        return None
    table = _table(data, "department", path)
    keys = {"name", "to", "currency", "rates", "rates_date", "day", "approver"}
    _known_keys(table, keys, "department.", path)
    name = _optional_str(table, "name", path, "department.name")
    to = _str_list(table, "to", path, "department.to") or []
    currency = _optional_str(table, "currency", path, "department.currency")
    rates: list[tuple[str, Decimal]] = []
    for key, value in _table(table, "rates", path, "department.rates").items():
        where = f"department.rates.{key}"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _wrong(path, where, value, "positive_number")
        try:
            rate = Decimal(str(value))
        except InvalidOperation:
            raise _wrong(path, where, value, "positive_number") from None
        if not rate.is_finite() or rate <= 0:
            raise _wrong(path, where, value, "positive_number")
        rates.append((_currency_symbol(key), rate))
    if rates and not currency:
        raise _wrong(path, "department.currency", "", "rates_currency")
    when = table.get("rates_date")
    if when is not None and not (isinstance(when, dt.date) and not isinstance(when, dt.datetime)):
        raise _wrong(path, "department.rates_date", when, "date")
    day = table.get("day")
    if day is not None and (not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 31):
        raise _wrong(path, "department.day", day, "range", low=1, high=31)
    approver = _optional_str(table, "approver", path, "department.approver")
    if approver is not None and parse_address(approver) is None:
        raise _wrong(path, "department.approver", approver, "address")
    return DepartmentSettings(
        name=name.strip() if name and name.strip() else None,
        to=tuple(address.strip() for address in to if address.strip()),
        currency=_currency_symbol(currency) if currency else None,
        rates=tuple(rates),
        rates_date=when,
        day=day,
        approver=approver.strip() if approver else None,
    )


def _currency_symbol(text: str) -> str:
    """A currency as the workbooks' figures documents write it: "CNY", "yuan" and "¥" are all "¥"."""
    return vocab.CURRENCY_SYMBOLS.get(text.strip().casefold(), text.strip())


CHAT_KEYS = {"name", "kind", "url", "keyword", "language", "timeout"}


def _chat_targets(data: dict[str, Any], path: Path | None) -> tuple[ChatSettings, ...]:
    """`[[targets]]`: each a named chat bot with its kind and webhook url; names are unique, since the
    ledger, `send --target` and `targets test` know a target by its name."""
    entries = data.get("targets", [])
    if not isinstance(entries, list):
        raise _wrong(path, "targets", entries, "targets")
    targets: list[ChatSettings] = []
    for index, entry in enumerate(entries, start=1):
        where = f"targets[{index}]"
        if not isinstance(entry, dict):
            raise _wrong(path, where, entry, "table")
        _known_keys(entry, CHAT_KEYS, f"{where}.", path)
        texts = {key: _optional_str(entry, key, path, f"{where}.{key}") for key in CHAT_KEYS - {"timeout"}}
        given = {key: text.strip() for key, text in texts.items() if text and text.strip()}
        for key in ("name", "kind", "url"):
            if key not in given:
                raise InputError(path, "config_target_required", key=f"{where}.{key}")
        if given["name"] in {target.name for target in targets}:
            raise _wrong(path, f"{where}.name", given["name"], "unique_name")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.-]*", given["name"]):
            raise _wrong(path, f"{where}.name", given["name"], "target_name")
        kinds = [kind.value for kind in ChatKind]
        if given["kind"].lower() not in kinds:
            raise _wrong(path, f"{where}.kind", given["kind"], "one_of", values=kinds)
        if not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", given["url"]):
            raise _wrong(path, f"{where}.url", _webhook_shown(given["url"]), "webhook_url")
        language = given.get("language")
        if language is not None and language not in LANGUAGES:
            raise _wrong(path, f"{where}.language", language, "one_of", values=LANGUAGES)
        timeout = entry.get("timeout", 15.0)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise _wrong(path, f"{where}.timeout", timeout, "seconds")
        variable = ChatSettings(given["name"], ChatKind.SLACK, "").secret_variable
        if variable in {target.secret_variable for target in targets}:  # growth-bot and growth_bot
            raise _wrong(path, f"{where}.name", given["name"], "unique_secret", variable=variable)
        targets.append(
            ChatSettings(
                name=given["name"],
                kind=ChatKind(given["kind"].lower()),
                url=given["url"],
                keyword=given.get("keyword"),
                language=language,
                timeout=float(timeout),
            )
        )
    return tuple(targets)


def _webhook_shown(url: str) -> str:
    """A webhook url as a message may show it: scheme and host only, its path's last part (the token of
    Feishu and Slack) and its query (DingTalk's access_token, WeCom's key, Teams' sig) hidden."""
    text = url.strip()
    head, _, _ = text.partition("?")
    path_start = head.find("/", head.find("//") + 2 if "//" in head else 0)
    shown = head if path_start < 0 else head[:path_start] + re.sub(r"/[^/]*$", "/***", head[path_start:])
    return (shown + ("?***" if "?" in text else ""))[:80]


def _pdf_settings(data: dict[str, Any], path: Path | None) -> PdfSettings:
    """`[pdf]`: `standard` names one standard or a list of them; `embed_source` is true or false."""
    table = _table(data, "pdf", path)
    _known_keys(table, {"standard", "embed_source"}, "pdf.", path)
    standard = table.get("standard", [])
    names = [standard] if isinstance(standard, str) else standard
    if not isinstance(names, list) or not all(
        isinstance(name, str) and name.strip().lower() in PDF_STANDARDS for name in names
    ):
        raise _wrong(path, "pdf.standard", standard, "one_of", values=PDF_STANDARDS)
    chosen = {name.strip().lower() for name in names}
    embed = table.get("embed_source", False)
    if not isinstance(embed, bool):
        raise _wrong(path, "pdf.embed_source", embed, "boolean")
    return PdfSettings(archival="pdf/a-3b" in chosen, accessible="pdf/ua-1" in chosen, embed_source=embed)


def _schedule_settings(data: dict[str, Any], path: Path | None) -> ScheduleSettings | None:
    """`[schedule]`, checked when the file is read: a bad zone name lists the close matches."""
    if "schedule" not in data:
        return None
    table = _table(data, "schedule", path)
    keys = {"workbooks", "out", "day", "time", "timezone", "approver", "remind_days", "cutoff_day"}
    _known_keys(table, keys, "schedule.", path)
    workbooks_text = _optional_str(table, "workbooks", path, "schedule.workbooks")
    if not workbooks_text or not workbooks_text.strip():
        raise InputError(path, "config_required", key="schedule.workbooks")
    workbooks = _beside(path, workbooks_text)
    out_text = _optional_str(table, "out", path, "schedule.out")
    out = _beside(path, out_text) if out_text and out_text.strip() else None
    numbers = {}
    for key, low, high, default in (("day", 1, 31, 3), ("remind_days", 0, 27, 2), ("cutoff_day", 1, 31, 10)):
        value = table.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise _wrong(path, f"schedule.{key}", value, "range", low=low, high=high)
        numbers[key] = value
    time_text = _optional_str(table, "time", path, "schedule.time") or "09:00"
    matched = TIME_FORMAT.fullmatch(time_text.strip())
    if matched is None:
        raise _wrong(path, "schedule.time", time_text, "time_of_day")
    zone = _optional_str(table, "timezone", path, "schedule.timezone")
    if zone is not None:
        zone = zone.strip()
        if zone not in _zone_names():
            close = difflib.get_close_matches(zone, sorted(_zone_names()), n=5, cutoff=0.5)
            close = close or ["Asia/Shanghai", "Europe/London", "America/New_York"]
            raise _wrong(path, "schedule.timezone", zone, "zone", close=close)
    approver = _optional_str(table, "approver", path, "schedule.approver")
    if approver is not None and parse_address(approver) is None:
        raise _wrong(path, "schedule.approver", approver, "address")
    return ScheduleSettings(
        workbooks=workbooks,
        out=out,
        day=numbers["day"],
        time=dt.time(int(matched["hour"]), int(matched["minute"]), int(matched["second"] or 0)),
        timezone=zone,
        approver=approver.strip() if approver else None,
        remind_days=numbers["remind_days"],
        cutoff_day=max(numbers["cutoff_day"], numbers["day"]),
    )


def _beside(config: Path | None, text: str) -> Path:
    """A path from the config: relative ones are relative to the config file, as `ca_file` is."""
    path = Path(text.strip()).expanduser()
    return config.resolve().parent / path if not path.is_absolute() and config is not None else path


@cache
def _zone_names() -> frozenset[str]:
    import zoneinfo  # the zone list is read only when a schedule names a zone

    return frozenset(zoneinfo.available_timezones())


def _archive_settings(data: dict[str, Any], path: Path | None) -> ArchiveSettings:
    """`[archive]`, with REPORTGEN_ARCHIVE_URL over its url; the url's form is checked when it is opened."""
    archive = _table(data, "archive", path)
    _known_keys(archive, {"url", "keep_workbooks"}, "archive.", path)
    url = _optional_str(archive, "url", path, "archive.url")
    keep = archive.get("keep_workbooks", False)
    if not isinstance(keep, bool):
        raise _wrong(path, "archive.keep_workbooks", keep, "boolean")
    from_environment = os.environ.get(ARCHIVE_URL_VARIABLE, "").strip()
    return ArchiveSettings(url=from_environment or (url.strip() if url else None), keep_workbooks=keep)


def _queue_settings(data: dict[str, Any], path: Path | None) -> QueueSettings:
    """`[queue]`, with REPORTGEN_QUEUE_URL over its url; a url that is not Redis's is refused here."""
    queue = _table(data, "queue", path)
    _known_keys(queue, {"url", "visibility_timeout", "wait_minutes"}, "queue.", path)
    url = _optional_str(queue, "url", path, "queue.url")
    from_environment = os.environ.get(QUEUE_URL_VARIABLE, "").strip()
    chosen = from_environment or (url.strip() if url and url.strip() else None)
    # a Unix socket (redis+socket://) is kombu's word only: Celery's result store and redis-py refuse it
    if chosen is not None and not chosen.startswith(("redis://", "rediss://")):
        where = QUEUE_URL_VARIABLE if from_environment else "queue.url"
        raise _wrong(path, where, hidden_password(chosen), "redis_url")
    numbers = {}
    for key, default in (("visibility_timeout", 3600), ("wait_minutes", 60)):
        value = queue.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _wrong(path, f"queue.{key}", value, "positive_integer")
        numbers[key] = value
    return QueueSettings(chosen, numbers["visibility_timeout"], numbers["wait_minutes"])


def hidden_password(url: str) -> str:
    """A url as it may be shown: its password (`redis://:secret@host`, `redis://user:secret@host`) as ***."""
    return re.sub(r"^([a-z+]+://[^:/@]*:)[^/]*@", r"\1***@", url.strip())  # up to the last @


def _serve_settings(data: dict[str, Any], path: Path | None) -> ServeSettings:
    """`[serve]`, validated here so a typo fails at start, not on the first upload."""
    serve = _table(data, "serve", path)
    keys = {"max_upload_mb", "retention_minutes", "allow_hosts", "public_url", "link_days", *ACCOUNT_KEYS}
    _known_keys(serve, keys, "serve.", path)
    defaults = ServeSettings()
    numbers = {}
    for key in ("max_upload_mb", "retention_minutes", "link_days", *ACCOUNT_NUMBERS):
        value = serve.get(key, getattr(defaults, key))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _wrong(path, f"serve.{key}", value, "positive_integer")
        numbers[key] = value
    hosts = _str_list(serve, "allow_hosts", path, "serve.allow_hosts") or []
    return ServeSettings(
        max_upload_mb=numbers["max_upload_mb"],
        retention_minutes=numbers["retention_minutes"],
        allow_hosts=tuple(host.strip().lower() for host in hosts if host.strip()),
        public_url=_public_url(serve, path),
        link_days=numbers["link_days"],
        **_serve_accounts(serve, path),
        session_hours=numbers["session_hours"],
        login_attempts=numbers["login_attempts"],
        lockout_minutes=numbers["lockout_minutes"],
    )


ACCOUNT_NUMBERS = ("session_hours", "login_attempts", "lockout_minutes")
ACCOUNT_KEYS = {"auth", "proxy_header", "proxy_addresses", *ACCOUNT_NUMBERS}


def _serve_accounts(serve: dict[str, Any], path: Path | None) -> dict[str, Any]:
    """`serve.auth`, `serve.proxy_header` and `serve.proxy_addresses` (each address or network parsed)."""
    auth = _optional_str(serve, "auth", path, "serve.auth")
    if auth is not None and auth not in ("accounts", "proxy", "none"):
        raise _wrong(path, "serve.auth", auth, "auth_mode")
    header = _optional_str(serve, "proxy_header", path, "serve.proxy_header") or "X-Forwarded-User"
    if not re.fullmatch(r"[A-Za-z0-9-]{1,100}", header):
        raise _wrong(path, "serve.proxy_header", header, "header_name")
    addresses = _str_list(serve, "proxy_addresses", path, "serve.proxy_addresses") or []
    for address in addresses:
        try:
            ipaddress.ip_network(address.strip(), strict=False)
        except ValueError:
            raise _wrong(path, "serve.proxy_addresses", address, "ip_network") from None
    return {
        "auth": auth,
        "proxy_header": header,
        "proxy_addresses": tuple(address.strip() for address in addresses),
    }


def _public_url(serve: dict[str, Any], path: Path | None) -> str | None:
    """`serve.public_url`: the address readers open serve at (https, or http on this machine)."""
    text = _optional_str(serve, "public_url", path, "serve.public_url")
    if text is None or not text.strip():
        return None
    url = text.strip().rstrip("/")
    if not re.fullmatch(r"https?://[^\s/?#@]+(/[^\s?#]*)?", url):
        raise _wrong(path, "serve.public_url", url, "public_url")
    return url


def _rule(entry: Any, index: int, path: Path | None) -> ConfigRule:
    where = f"rules[{index}]"
    if not isinstance(entry, dict):
        raise _wrong(path, where, entry, "table")
    _known_keys(entry, {"name", "channel", "keyword", "goal", "principle"}, f"{where}.", path)
    texts = {key: _optional_str(entry, key, path, f"{where}.{key}") for key in entry}
    given = {key: text.strip() for key, text in texts.items() if text and text.strip()}
    channel = _channel(given["channel"], f"{where}.channel", path) if "channel" in given else None
    keyword = given.get("keyword")
    goal = given.get("goal")
    principle = None
    if "principle" in given:
        principle = vocab.PRINCIPLE_WORDS.get(vocab.key(given["principle"]))
        if principle is None:
            raise _wrong(
                path,
                f"{where}.principle",
                given["principle"],
                "one_of",
                values=[p.value for p in Principle],
            )
    if channel is None and keyword is None:
        raise InputError(path, "config_rule_match", key=where)
    if goal is None and principle is None:
        raise InputError(path, "config_rule_effect", key=where)
    return ConfigRule(given.get("name") or f"#{index}", channel, keyword, goal, principle)


def _channel(value: Any, key: str, path: Path | None) -> Channel:
    channel = vocab.CHANNEL_WORDS.get(vocab.key(value)) if isinstance(value, str) else None
    if channel is None:
        raise _wrong(path, key, value, "one_of", values=[c.value for c in Channel])
    return channel


def _optional_str(data: dict[str, Any], key: str, path: Path | None, where: str | None = None) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong(path, where or key, value, "text")
    return value


def _str_list(data: dict[str, Any], key: str, path: Path | None, where: str) -> list[str] | None:
    """A list of text values, or None when the key is absent; a lone string is refused (`["seo"]`, not
    `"seo"`), since iterating it would read its letters."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise _wrong(path, where, value, "text_list")
    for item in value:
        if not isinstance(item, str):
            raise _wrong(path, where, value, "text_list")
    return value


def _table(data: dict[str, Any], key: str, path: Path | None, where: str | None = None) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _wrong(path, where or key, value, "table")
    return value


def _known_keys(table: dict[str, Any], known: set[str], prefix: str, path: Path | None) -> None:
    for key in table:
        if key not in known:
            raise InputError(path, "config_key", key=f"{prefix}{key}", expected=sorted(known))


def _wrong(path: Path | None, key: str, value: Any, expect: str, **params: Any) -> InputError:
    """A value of the wrong type or outside its choices; `expect` names an `expect.*` catalogue phrase."""
    return InputError(path, "config_value", key=key, value=_shown(value), expect=expect, **params)


def _shown(value: Any) -> str:
    """A config value as it is written in TOML (never a Python repr), cut short when long."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, list):
        text = "[" + ", ".join(_shown(item) for item in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{key} = {_shown(item)}" for key, item in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


SECURITIES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
EMAIL_KEYS = {
    "host", "port", "security", "username", "sender", "to", "cc", "bcc", "reply_to", "subject", "language",
    "attempts", "retry_delay", "timeout", "max_size", "ca_file", "send_with_errors", "languages",
}  # fmt: skip
# An addr-spec reportgen will put on the envelope: ASCII dot-atoms on both sides (no quoting, no comments,
# nothing a header could be smuggled through), an optional display name in front ("Name <a@b.c>").
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
ADDR_SPEC = re.compile(rf"{_LOCAL}@{_DOMAIN}")
NAMED_ADDRESS = re.compile(rf'(?P<name>[^<>"\\]*?)\s*<(?P<addr>{_LOCAL}@{_DOMAIN})>')


@dataclass(frozen=True, slots=True)
class EmailSettings:
    """The `[email]` table: where and how the review is mailed. The password is never here: it comes from
    REPORTGEN_SMTP_PASSWORD or the OS keyring when the message is sent."""

    host: str = "localhost"
    port: int | None = None  # None: the security's usual port (587, 465, 25)
    security: str = "starttls"
    username: str | None = None
    sender: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    reply_to: str | None = None
    subject: str | None = None  # a template with {team} and {month}; None: the catalogue's
    language: str | None = None  # None: the review's language
    attempts: int = 3
    retry_delay: float = 2.0  # seconds before the second attempt; doubled before each later one
    timeout: float = 30.0
    max_size: int | None = None  # bytes; the server's advertised SIZE applies too
    ca_file: Path | None = None
    send_with_errors: bool = False
    languages: tuple[tuple[str, str], ...] = ()  # (addr-spec, "zh"|"en"): a reader's own language

    def language_of(self, address: str) -> str | None:
        """The language `[email.languages]` gives this address (its addr-spec, any case), or None."""
        parsed = parse_address(address)
        wanted = (parsed[1] if parsed else address).casefold()
        return next((lang for spec, lang in self.languages if spec.casefold() == wanted), None)

    @property
    def smtp_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.security]


def parse_address(text: str) -> tuple[str, str] | None:
    """(display name, addr-spec) of one address, or None when it is not one reportgen will send to; a line
    break or any control character refuses it, so no address can carry a header."""
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        return None
    text = text.strip()
    if ADDR_SPEC.fullmatch(text):
        return "", text
    named = NAMED_ADDRESS.fullmatch(text)
    if named is None:
        return None
    return named["name"].strip(), named["addr"]


def parse_email(table: dict[str, Any], path: Path | None) -> EmailSettings:
    """Validate `[email]`; every address is checked here, so a bad one is refused before any connection."""
    _known_keys(table, EMAIL_KEYS, "email.", path)
    texts = {
        key: _optional_str(table, key, path, f"email.{key}")
        for key in ("host", "security", "username", "sender", "reply_to", "subject", "language", "ca_file")
    }
    security = (texts["security"] or "starttls").strip().lower()
    if security not in SECURITIES:
        raise _wrong(path, "email.security", texts["security"], "one_of", values=SECURITIES)
    language = texts["language"].strip() if texts["language"] else None
    if language is not None and language not in LANGUAGES:
        raise _wrong(path, "email.language", language, "one_of", values=LANGUAGES)
    for key in ("sender", "reply_to"):
        if texts[key] is not None and parse_address(texts[key] or "") is None:
            raise _wrong(path, f"email.{key}", texts[key], "address")
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("to", "cc", "bcc"):
        value = table.get(key)
        items = [value] if isinstance(value, str) else _str_list(table, key, path, f"email.{key}") or []
        for item in items:
            if parse_address(item) is None:
                raise _wrong(path, f"email.{key}", item, "address")
        lists[key] = tuple(item.strip() for item in items)
    subject = texts["subject"]
    if subject is not None:
        try:
            subject.format(team="", month="")
        except (KeyError, IndexError, ValueError) as exc:
            raise _wrong(path, "email.subject", subject, "subject_template") from exc
    port = table.get("port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536):
        raise _wrong(path, "email.port", port, "port")
    numbers: dict[str, Any] = {}
    for key, kind, default in (
        ("attempts", int, 3),
        ("retry_delay", float, 2.0),
        ("timeout", float, 30.0),
        ("max_size", int, None),
    ):
        value = table.get(key, default)
        if value is None:
            numbers[key] = None
            continue
        whole = isinstance(value, int) and not isinstance(value, bool)
        ok = whole or (kind is float and isinstance(value, float))
        if not ok or value < (0 if key == "retry_delay" else 1) or (key == "timeout" and value <= 0):
            raise _wrong(path, f"email.{key}", value, "positive_integer" if kind is int else "seconds")
        numbers[key] = float(value) if kind is float else value
    languages: list[tuple[str, str]] = []
    for address, lang in _table(table, "languages", path, "email.languages").items():
        parsed = parse_address(address)
        if parsed is None:
            raise _wrong(path, "email.languages", address, "address")
        if lang not in LANGUAGES:
            raise _wrong(path, f"email.languages.{parsed[1]}", lang, "one_of", values=LANGUAGES)
        languages.append((parsed[1], lang))
    send_with_errors = table.get("send_with_errors", False)
    if not isinstance(send_with_errors, bool):
        raise _wrong(path, "email.send_with_errors", send_with_errors, "boolean")
    ca_file = None
    if texts["ca_file"]:
        ca_file = Path(texts["ca_file"]).expanduser()
        if not ca_file.is_absolute() and path is not None:
            ca_file = path.resolve().parent / ca_file  # relative to the config file, like a user expects
    return EmailSettings(
        host=(texts["host"] or "localhost").strip(),
        port=port,
        security=security,
        username=texts["username"] or None,
        sender=texts["sender"].strip() if texts["sender"] else None,
        to=lists["to"],
        cc=lists["cc"],
        bcc=lists["bcc"],
        reply_to=texts["reply_to"].strip() if texts["reply_to"] else None,
        subject=subject,
        language=language,
        attempts=numbers["attempts"],
        retry_delay=numbers["retry_delay"],
        timeout=numbers["timeout"],
        max_size=numbers["max_size"],
        ca_file=ca_file,
        send_with_errors=send_with_errors,
        languages=tuple(languages),
    )
