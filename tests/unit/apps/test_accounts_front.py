"""`reportgen users` through the command line (passwords from standard input, never an argument; bad input
is a message and an exit status, never a trace), and serve's identity rules: which mode, a person's role on a
team by any of its names (and on the roll-up's row), the signed session cookie, the proxy's addresses."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher

from reportgen.apps.serve.identity import Cookies, Mode, Person, choose_mode, from_proxy
from reportgen.apps.serve.overview import acts_on
from reportgen.archive import accounts as accounts_module
from reportgen.archive.accounts import Grant, Role
from reportgen.base.config import ServeSettings
from reportgen.base.errors import ExitCode
from reportgen.cycle.teams import TeamName
from tests.commands import cli


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts_module, "hasher", lambda: cheap)


def test_users_add_list_passwd_remove(tmp_path: Path) -> None:
    config = tmp_path / "reportgen.toml"
    config.write_text(f'[archive]\nurl = "sqlite:///{tmp_path / "a.sqlite3"}"\n', "utf-8")

    def users(*args: str, given: str | None = None) -> tuple[int, str]:
        done = cli("users", *args, "--config", config, input=given)
        assert "Traceback" not in done.stderr
        return done.returncode, done.stdout + done.stderr

    code, out = users(
        "add", "Chen", "--role", "lead:northwind-en", "--role", "viewer:*", given="long password 1\n"
    )
    assert code == ExitCode.OK and "chen" in out and "lead:northwind-en" in out
    assert "long password 1" not in out
    code, out = users("list")
    assert code == ExitCode.OK and out.startswith("chen  lead:northwind-en, viewer:*")
    assert users("add", "chen", "--role", "head:*", given="long password 2\n")[0] == ExitCode.USAGE
    assert users("add", "wu", "--role", "owner:x", given="long password 2\n")[0] == ExitCode.USAGE
    assert users("add", "wu", "--role", "head:*", given="short\n")[0] == ExitCode.USAGE
    assert users("add", "wu", "--role", "head:*", given="")[0] == ExitCode.USAGE  # no password at all
    assert users("passwd", "chen", given="another password\n")[0] == ExitCode.OK
    assert users("passwd", "nobody", given="another password\n")[0] == ExitCode.BAD_INPUT
    assert users("roles", "chen", "--role", "head:*")[0] == ExitCode.OK
    assert "head:*" in users("list")[1]
    assert users("remove", "chen")[0] == ExitCode.OK
    code, out = users("remove", "chen")
    assert code == ExitCode.BAD_INPUT and "no account chen" in out
    assert "No accounts yet" in users("list")[1]


def test_the_mode_follows_the_setting_then_the_bind_then_the_accounts() -> None:
    assert choose_mode(ServeSettings(), "127.0.0.1", lambda: False) == Mode.NONE
    assert choose_mode(ServeSettings(), "127.0.0.1", lambda: True) == Mode.ACCOUNTS
    assert choose_mode(ServeSettings(), "0.0.0.0", lambda: False) == Mode.ACCOUNTS
    assert choose_mode(ServeSettings(auth="none"), "0.0.0.0", lambda: True) == Mode.NONE
    assert choose_mode(ServeSettings(auth="proxy"), "127.0.0.1", lambda: False) == Mode.PROXY


def test_a_role_holds_on_any_of_the_teams_names_and_the_strongest_wins() -> None:
    northwind = TeamName("Northwind Growth Team", "northwind-en", ("Northwind Growth Team", "northwind-en"))
    harbor = TeamName("Harbor", None, ("Harbor",))
    lead = Person("chen", (Grant("NORTHWIND-EN", Role.LEAD), Grant("*", Role.VIEWER)))
    assert lead.role(northwind) == Role.LEAD and lead.leads(northwind)
    assert lead.role(harbor) == Role.VIEWER and not lead.leads(harbor) and lead.sees(harbor)
    viewer = Person("wu", (Grant("Northwind Growth Team", Role.VIEWER),))
    assert viewer.sees(northwind) and not viewer.leads(northwind) and not viewer.sees(harbor)
    assert not viewer.uploads and not viewer.is_head
    head = Person("li", (Grant("*", Role.HEAD),))
    assert head.leads(harbor) and head.is_head


def test_the_roll_up_row_is_seen_by_every_teams_roles_but_only_a_head_decides_it() -> None:
    rollup = TeamName("department", "department", ("department",))
    head = Person("li", (Grant("*", Role.HEAD),))
    lead_of_all = Person("chen", (Grant("*", Role.LEAD),))
    reader = Person("ops", (Grant("*", Role.VIEWER),))
    lead = Person("wu", (Grant("northwind-en", Role.LEAD),))
    assert head.sees(rollup) and acts_on(head, rollup)
    assert lead_of_all.sees(rollup) and not acts_on(lead_of_all, rollup)  # shown, no Approve
    assert reader.sees(rollup) and not acts_on(reader, rollup)
    assert not lead.sees(rollup)  # not listed for a lead of one team
    assert acts_on(lead_of_all, TeamName("Harbor", None, ("Harbor",)))


def test_the_cookie_is_signed_and_the_proxy_is_an_address() -> None:
    cookies = Cookies("a secret of this test")
    value = cookies.value("the key")
    assert cookies.key(value, 3600) == "the key"
    # the signature's first character changes the signature's bytes (its last carries base64 padding bits)
    signed, signature = value.rsplit(".", 1)
    tampered = f"{signed}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    assert cookies.key(tampered, 3600) is None
    assert Cookies("another secret").key(value, 3600) is None
    assert cookies.key(None, 3600) is None and cookies.key("garbage", 3600) is None
    assert from_proxy("10.1.2.3", ["10.0.0.0/8"]) and from_proxy("127.0.0.1", ["127.0.0.1"])
    assert not from_proxy("127.0.0.2", ["127.0.0.1"]) and not from_proxy("testclient", ["127.0.0.1"])
