"""Every command by name: the module that defines it and the line `reportgen --help` shows for it.

The group reads this table to list its commands, and loads a command's module only when that command runs,
so `reportgen --help` never imports the pipeline, WeasyPrint or the archive. Each command takes its line
from here as its `short_help`, so the two cannot differ; a test loads every module listed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Listed:
    module: str
    attribute: str
    summary: str


REVIEW, SERVICES, CYCLE = (
    "reportgen.apps.cli.review",
    "reportgen.apps.cli.services",
    "reportgen.apps.cli.cycle",
)
USERS = "reportgen.apps.cli.users"
DELIVERING = "reportgen.apps.cli.delivering"
STARTER = "reportgen.apps.cli.starter"

ROLLUP = "reportgen.apps.cli.rollup"

COMMANDS: dict[str, Listed] = {
    "check": Listed(REVIEW, "check", "Check a workbook: findings with sheet!cell references."),
    "build": Listed(REVIEW, "build", "Build the month's review: PDF, and JSON or HTML."),
    "send": Listed(DELIVERING, "send", "Deliver a review PDF by mail and chat, once to each."),
    "init": Listed(STARTER, "init", "Write a starter workbook and a reportgen.toml."),
    "serve": Listed(SERVICES, "serve", "A local page: drop a workbook, preview, send."),
    "batch": Listed(SERVICES, "batch", "Build many workbooks in parallel, or on the queue."),
    "watch": Listed(SERVICES, "watch", "Build every workbook dropped into a folder."),
    "targets": Listed(DELIVERING, "targets", "The chat bots reviews go to; post a test message."),
    "worker": Listed(SERVICES, "worker", "Run builds and sends from the queue."),
    "queue": Listed(SERVICES, "queue", "The queue: its workers, waiting tasks, failures."),
    "history": Listed(CYCLE, "history", "What was built and sent, newest first."),
    "schedule": Listed(CYCLE, "schedule", "The monthly cycle: build, approve, then send."),
    "approve": Listed(CYCLE, "approve", "Send the waiting draft to management."),
    "reject": Listed(CYCLE, "reject", "Turn the waiting draft down, with the reason."),
    "rollup": Listed(ROLLUP, "rollup", "One roll-up of every team's month, from the archive."),
    "users": Listed(USERS, "users", "Accounts that sign in to serve's department page."),
}


def summary(name: str) -> str:
    """The line `reportgen --help` shows for the command: its module gives it to click as `short_help`."""
    return COMMANDS[name].summary
