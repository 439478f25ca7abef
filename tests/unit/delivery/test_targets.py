"""Which targets a config names, and what the cards may say about the mail."""

from __future__ import annotations

import pytest

from reportgen.base.config import parse_config
from reportgen.base.errors import UsageError
from reportgen.delivery.chat import ChatTarget
from reportgen.delivery.targets import MailTarget, languages_needed, targets_of

BOT = {"name": "ops", "kind": "slack", "url": "https://hooks.slack.com/services/T0/B0/XYZ"}
MAIL = {"sender": "ops@example.com", "to": ["boss@example.com", "wang@example.cn"]}


def test_without_mail_readers_the_bots_alone_and_no_card_claims_the_mail() -> None:
    (only,) = targets_of(parse_config({"targets": [BOT]}))
    assert isinstance(only, ChatTarget) and not only.mailed


def test_with_mail_readers_mail_first_and_the_cards_may_point_to_it() -> None:
    mail, bot = targets_of(parse_config({"targets": [BOT], "email": MAIL}))
    assert isinstance(mail, MailTarget) and isinstance(bot, ChatTarget) and bot.mailed


def test_each_reader_language_is_a_mail_of_its_own() -> None:
    email = {**MAIL, "languages": {"wang@example.cn": "zh"}}
    targets = targets_of(parse_config({"targets": [{**BOT, "language": "en"}], "email": email}))
    assert [(target.kind, target.language, target.addresses()) for target in targets] == [
        ("mail", None, ("boss@example.com",)),
        ("mail", "zh", ("wang@example.cn",)),
        ("slack", "en", ("ops",)),
    ]
    assert languages_needed(targets) == ["zh", "en"]


def test_an_unknown_target_name_lists_the_known_ones() -> None:
    with pytest.raises(UsageError) as raised:
        targets_of(parse_config({"targets": [BOT], "email": MAIL}), only="nobody")
    assert "mail, ops" in raised.value.message("en")
