"""reportgen.toml: discovery order and validation that names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.base.config import load_config
from reportgen.base.errors import InputError
from reportgen.base.model import Channel, Principle


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
        ("[review]\nlogo = 'x.png'\n", "unknown key 'review'"),  # a table nothing reads is refused too
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


@pytest.mark.parametrize(
    ("text", "words", "zh_words"),
    [
        (
            "[channels]\ncompounding = 5\n",
            "'channels.compounding' is 5; expected a list of text",
            "应为文本列表",
        ),
        (
            '[channels]\ncompounding = "seo"\n',
            "'channels.compounding' is \"seo\"; expected a list",
            "应为文本列表",
        ),
        ('[channels]\ncompounding = ["seo", 3]\n', 'is ["seo", 3]; expected a list of text', "应为文本列表"),
        ('[channels]\ncompunding = ["seo"]\n', "unknown key 'channels.compunding'", "未知的配置项"),
        (
            "[channels.result_metric]\nseo = 3\n",
            "'channels.result_metric.seo' is 3; expected one of:",
            "以下之一",
        ),
        (
            '[channels]\nresult_metric = "leads"\n',
            "'channels.result_metric' is \"leads\"; expected a table",
            "应为",
        ),
        (
            '[[rules]]\nkeyword = ["a", "b"]\ngoal = "G1"\n',
            '\'rules[1].keyword\' is ["a", "b"]; expected text',
            "带引号的文本",
        ),
        (
            '[[rules]]\nname = 3\nkeyword = "a"\ngoal = "G1"\n',
            "'rules[1].name' is 3; expected text",
            "带引号的文本",
        ),
        ('[[rules]]\nchannel = 5\ngoal = "G1"\n', "'rules[1].channel' is 5; expected text", "带引号的文本"),
        ('[[rules]]\nkeyword = "a"\ngoal = 1\n', "'rules[1].goal' is 1; expected text", "带引号的文本"),
        ("rules = 5\n", "'rules' is 5; expected [[rules]] tables", "[[rules]]"),
        ("rules = [5]\n", "'rules[1]' is 5; expected a table", "应为"),
        ("team = 3\n", "'team' is 3; expected text", "带引号的文本"),
        (
            '[limits]\nmax_rows = "many"\n',
            "'limits.max_rows' is \"many\"; expected a whole number above 0",
            "大于 0",
        ),
        ("[limits]\nmax_row = 5\n", "unknown key 'limits.max_row'", "未知的配置项"),
        ("limits = 5\n", "'limits' is 5; expected a table", "应为"),
        ('email = "ann@example.com"\n', "'email' is \"ann@example.com\"; expected a table", "应为"),
    ],
)
def test_values_of_the_wrong_type_are_named_never_a_traceback(
    tmp_path: Path, text: str, words: str, zh_words: str
) -> None:
    path = tmp_path / "reportgen.toml"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        load_config(path)
    assert str(path) in error.value.message() and words in error.value.message()
    chinese = error.value.message("zh")
    assert str(path) in chinese and zh_words in chinese
    assert "expected" not in chinese and "'" not in chinese.replace(str(path), "")  # no English, no repr


def test_date_order_only_orders_day_and_month(tmp_path: Path) -> None:
    """docs/workbook.md: 2026/10/5 is always year-month-day; the setting chooses how 10/5/2026 is read."""
    path = tmp_path / "reportgen.toml"
    path.write_text('date_order = "YMD"\n')
    with pytest.raises(InputError) as error:
        load_config(path)
    assert "'date_order' is \"YMD\"; expected one of: MDY, DMY." in error.value.message()
    assert "应为以下之一：MDY、DMY。" in error.value.message("zh")


def test_email_settings_are_read_with_defaults_when_absent(tmp_path: Path) -> None:
    path = tmp_path / "reportgen.toml"
    path.write_text("")
    defaults = load_config(path).email
    assert (defaults.security, defaults.smtp_port, defaults.attempts, defaults.send_with_errors) == (
        "starttls",
        587,
        3,
        False,
    )
    path.write_text(
        '[email]\nhost = "smtp.example.com"\nsecurity = "SSL"\nusername = "ops"\n'
        'sender = "Ops <ops@example.com>"\nto = "boss@example.com"\n'
        'cc = ["a@example.com", "B <b@example.com>"]\n'
        'bcc = ["archive@example.com"]\nreply_to = "lead@example.com"\nsubject = "{team} – {month}"\n'
        'language = "zh"\nattempts = 5\nretry_delay = 0.5\ntimeout = 10\nmax_size = 10000000\n'
        'ca_file = "certs/ca.pem"\nsend_with_errors = true\n'
    )
    email = load_config(path).email
    assert email.host == "smtp.example.com" and email.security == "ssl" and email.smtp_port == 465
    assert email.to == ("boss@example.com",) and email.cc == ("a@example.com", "B <b@example.com>")
    assert email.bcc == ("archive@example.com",) and email.reply_to == "lead@example.com"
    assert email.subject == "{team} – {month}" and email.language == "zh" and email.username == "ops"
    assert (email.attempts, email.retry_delay, email.timeout, email.max_size) == (5, 0.5, 10.0, 10_000_000)
    assert email.ca_file == tmp_path / "certs" / "ca.pem"  # relative to the config file
    assert email.send_with_errors is True


@pytest.mark.parametrize(
    ("text", "words", "zh_words"),
    [
        (
            'security = "tls"\n',
            "'email.security' is \"tls\"; expected one of: starttls, ssl, none",
            "以下之一",
        ),
        ('to = ["boss@example.com\\r\\nBcc: evil@example.com"]\n', "'email.to'", "邮件地址"),
        ('sender = "ops"\n', "'email.sender' is \"ops\"; expected an email address", "邮件地址"),
        ('subject = "{team} {year}"\n', "'email.subject'", "占位符"),
        ("port = 70000\n", "'email.port' is 70000; expected a port number", "端口号"),
        ("attempts = 0\n", "'email.attempts' is 0; expected a whole number above 0", "大于 0"),
        ("timeout = 0\n", "'email.timeout' is 0; expected a number of seconds", "秒数"),
        (
            'send_with_errors = "yes"\n',
            "'email.send_with_errors' is \"yes\"; expected true or false",
            "true 或",
        ),
        ('password = "x"\n', "unknown key 'email.password'", "未知的配置项"),
    ],
)
def test_bad_email_settings_are_named(tmp_path: Path, text: str, words: str, zh_words: str) -> None:
    path = tmp_path / "reportgen.toml"
    path.write_text("[email]\n" + text)
    with pytest.raises(InputError) as error:
        load_config(path)
    assert str(path) in error.value.message() and words in error.value.message()
    assert zh_words in error.value.message("zh")


def test_serve_settings_have_defaults_and_are_validated(tmp_path: Path) -> None:
    config_path = tmp_path / "reportgen.toml"
    config_path.write_text("", "utf-8")
    defaults = load_config(config_path).serve
    assert (defaults.max_upload_mb, defaults.retention_minutes, defaults.allow_hosts) == (20, 60, ())
    config_path.write_text(
        '[serve]\nmax_upload_mb = 5\nretention_minutes = 10\nallow_hosts = ["Reports.LAN"]\n', "utf-8"
    )
    serve = load_config(config_path).serve
    assert (serve.max_upload_mb, serve.retention_minutes, serve.allow_hosts) == (5, 10, ("reports.lan",))
    for text, key in (
        ("[serve]\nmax_upload_mb = 0\n", "serve.max_upload_mb"),
        ('[serve]\nretention_minutes = "60"\n', "serve.retention_minutes"),
        ('[serve]\nallow_hosts = "box"\n', "serve.allow_hosts"),
        ("[serve]\nport = 80\n", "serve.port"),
    ):
        config_path.write_text(text, "utf-8")
        with pytest.raises(InputError) as caught:
            load_config(config_path)
        assert key in caught.value.message("en") and str(config_path) in caught.value.message("en")


def test_archive_settings_take_the_environment_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "reportgen.toml"
    path.write_text('[archive]\nurl = "sqlite:///team.sqlite3"\nkeep_workbooks = true\n')
    settings = load_config(path).archive
    assert (settings.url, settings.keep_workbooks) == ("sqlite:///team.sqlite3", True)
    monkeypatch.setenv("REPORTGEN_ARCHIVE_URL", "postgresql+psycopg://ops@db/reviews")
    assert load_config(path).archive.url == "postgresql+psycopg://ops@db/reviews"
    monkeypatch.chdir(tmp_path / "..")  # no file anywhere: the defaults, and still the environment
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert (
        load_config(None, tmp_path / "none" / "a.xlsx").archive.url == "postgresql+psycopg://ops@db/reviews"
    )


@pytest.mark.parametrize(
    ("text", "named"),
    [('[archive]\nkeep_workbooks = "yes"\n', "'archive.keep_workbooks'"), ("[archive]\nurl_ = 1\n", "url_")],
)
def test_bad_archive_settings_are_named(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "reportgen.toml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert named in caught.value.message("en") and str(path) in caught.value.message("en")


def test_pdf_settings_name_standards_one_or_many(tmp_path: Path) -> None:
    path = tmp_path / "reportgen.toml"
    path.write_text("", "utf-8")
    plain = load_config(path).pdf
    assert (plain.archival, plain.accessible, plain.embed_source) == (False, False, False)
    path.write_text('[pdf]\nstandard = "PDF/A-3b"\n', "utf-8")
    assert (load_config(path).pdf.archival, load_config(path).pdf.accessible) == (True, False)
    path.write_text('[pdf]\nstandard = ["pdf/a-3b", "pdf/ua-1"]\nembed_source = true\n', "utf-8")
    both = load_config(path).pdf
    assert (both.archival, both.accessible, both.embed_source) == (True, True, True)
    path.write_text('[pdf]\nstandard = "pdf/ua-1"\n', "utf-8")
    assert (load_config(path).pdf.archival, load_config(path).pdf.accessible) == (False, True)
    for text, named in (
        ('[pdf]\nstandard = "pdf/a-1b"\n', "'pdf.standard'"),
        ("[pdf]\nstandard = [3]\n", "'pdf.standard'"),
        ('[pdf]\nembed_source = "yes"\n', "'pdf.embed_source'"),
        ("[pdf]\nvariant = 1\n", "pdf.variant"),
    ):
        path.write_text(text, "utf-8")
        with pytest.raises(InputError) as caught:
            load_config(path)
        assert named in caught.value.message("en") and str(path) in caught.value.message("en")
