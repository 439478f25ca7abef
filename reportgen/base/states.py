"""The states the archive records, one `StrEnum` per family: a scheduled run's, a draft's approval, a send's
outcome and each address's delivery. A member equals its string, so the values stored in the database are
the strings below, unchanged; the archive hands them back as plain strings, which compare equal to these.
Here, in the bottom layer, because the archive writes them and the cycle and the front ends read them."""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    """`runs.state`: how one scheduled attempt of a team's month ended (or that it is under way)."""

    CLAIMED = "claimed"  # the lease is taken, the attempt under way (or its service died)
    REMINDED = "reminded"  # no usable new workbook: the team was reminded of the deadline
    DRAFT_ERRORS = "draft_errors"  # the workbook has errors (or cannot be used): a draft to the approver
    AWAITING_APPROVAL = "awaiting_approval"  # a clean draft waits for `reportgen approve`
    SENT = "sent"  # the review went to management
    FAILED = "failed"  # the mail or a bug stopped it: tried again at the next tick
    REJECTED = "rejected"  # the lead turned the draft down (`reportgen reject`)


class ApprovalState(StrEnum):
    """`approvals.state`: a draft waiting for the lead, or what became of it."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a newer draft of the month replaced it before it was decided
    # management got its version (or a later one) outside the approval, by hand (`send`, `build --email`, the
    # department page), before it was decided: nothing is left to approve
    OVERTAKEN = "overtaken"


class SendOutcome(StrEnum):
    """`sends.result`: how one send ended, over all the addresses it claimed."""

    SENDING = "sending"  # under way (or its process died before the answer was recorded)
    SENT = "sent"  # every claimed address accepted
    PARTIAL = "partial"  # some accepted, some not
    IN_DOUBT = "in_doubt"  # no answer after the message went out: it may have arrived
    FAILED = "failed"  # nobody was reached
    # never stored (such a send is recorded "failed"): `history --json`'s result for a send that tried nobody,
    # each address having the PDF already (a repeat) or an earlier send to it unanswered or under way
    SKIPPED = "skipped"


class Audience(StrEnum):
    """`sends.audience`: whose copy a send was. Only management's copies make a month delivered, and only
    an earlier copy to management makes a later version a revision."""

    MANAGEMENT = "management"  # the review itself, to the configured audience
    APPROVER = "approver"  # a draft, to the approver (or the sender) alone


class DeliveryState(StrEnum):
    """`deliveries.state`: one address's claim on one PDF (the duplicate guard holds `LIVE` ones)."""

    CLAIMED = "claimed"  # claimed by a send, no answer recorded yet
    ACCEPTED = "accepted"
    REFUSED = "refused"  # refused for good by the server
    FAILED = "failed"  # not reached: the claim is released, a re-run tries it
    SUPERSEDED = "superseded"  # accepted earlier, then sent again with --resend


LIVE_DELIVERIES = (DeliveryState.CLAIMED, DeliveryState.ACCEPTED)  # at most one per PDF and address
REACHED = (DeliveryState.ACCEPTED, DeliveryState.SUPERSEDED)  # the address got the PDF


class ChatKind(StrEnum):
    """A chat target's vendor (`[[targets]] kind`): the ledger's target column for its posts."""

    FEISHU = "feishu"  # Feishu / Lark custom bot: an interactive card
    DINGTALK = "dingtalk"  # DingTalk custom robot: an actionCard
    WECOM = "wecom"  # WeCom group robot: markdown, then the PDF as a file
    SLACK = "slack"  # Slack incoming webhook: Block Kit
    TEAMS = "teams"  # Microsoft Teams Workflows webhook: an Adaptive Card
