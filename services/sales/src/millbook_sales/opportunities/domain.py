"""Opportunity rules: stages, the status they imply, which moves are legal (pure, no I/O).

Open stages may move among each other, forward or back (a move back is a *regression*,
which the win-probability model counts). Closed stages are final: only an explicit
reopen moves a closed opportunity back to an open stage. Closing lost needs a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Stage(StrEnum):
    QUALIFICATION = "qualification"
    NEEDS_ANALYSIS = "needs_analysis"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"


class OpportunityStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


OPEN_STAGES: tuple[Stage, ...] = (
    Stage.QUALIFICATION,
    Stage.NEEDS_ANALYSIS,
    Stage.PROPOSAL,
    Stage.NEGOTIATION,
)
FIRST_STAGE = Stage.QUALIFICATION

# The usual pipeline odds; a fraction, reset at every stage change unless the caller sends one.
STAGE_PROBABILITY: dict[Stage, Decimal] = {
    Stage.QUALIFICATION: Decimal("0.10"),
    Stage.NEEDS_ANALYSIS: Decimal("0.25"),
    Stage.PROPOSAL: Decimal("0.50"),
    Stage.NEGOTIATION: Decimal("0.75"),
    Stage.CLOSED_WON: Decimal("1"),
    Stage.CLOSED_LOST: Decimal("0"),
}


class IllegalStageChange(Exception):
    """A move the opportunity's current stage does not allow."""


class LostReasonRequired(Exception):
    """Closing lost without saying why."""


def status_of(stage: str) -> OpportunityStatus:
    if stage == Stage.CLOSED_WON:
        return OpportunityStatus.WON
    if stage == Stage.CLOSED_LOST:
        return OpportunityStatus.LOST
    return OpportunityStatus.OPEN


def is_closed(stage: str) -> bool:
    return status_of(stage) != OpportunityStatus.OPEN


def check_stage_change(current: str, target: str, lost_reason: str | None) -> None:
    """Raise unless `current` may move to `target` (reopening has its own rule)."""
    if is_closed(current):
        raise IllegalStageChange(
            f"The opportunity is {current}; reopen it (POST /reopen) before changing its stage."
        )
    if target == Stage.CLOSED_LOST and not (lost_reason and lost_reason.strip()):
        raise LostReasonRequired("lost_reason is required to close an opportunity lost")


def check_reopen(current: str, target: str) -> None:
    if not is_closed(current):
        raise IllegalStageChange(f"Only a closed opportunity can be reopened; this is {current}.")
    if target not in OPEN_STAGES:
        raise IllegalStageChange(f"Reopen to an open stage, not {target}.")


def check_new_stage(stage: str) -> None:
    """A new opportunity starts in an open stage; it closes through win or lose."""
    if stage not in OPEN_STAGES:
        raise IllegalStageChange(f"A new opportunity starts in an open stage, not {stage}.")


def is_regression(from_stage: str | None, to_stage: str) -> bool:
    if from_stage not in OPEN_STAGES or to_stage not in OPEN_STAGES:
        return False
    return OPEN_STAGES.index(Stage(to_stage)) < OPEN_STAGES.index(Stage(from_stage))


@dataclass(frozen=True)
class StageStay:
    """One entry of the stage history."""

    stage: str
    from_stage: str | None
    entered_at: datetime
    left_at: datetime | None


def days_between(start: datetime, end: datetime) -> Decimal:
    seconds = Decimal(str((end - start).total_seconds()))
    return (seconds / Decimal(86400)).quantize(Decimal("0.01"))


def regressions_in(history: Sequence[StageStay]) -> int:
    return sum(1 for stay in history if is_regression(stay.from_stage, stay.stage))


def last_open_stay(history: Sequence[StageStay]) -> StageStay | None:
    """The latest stay in an open stage: where a closed deal was when it closed."""
    open_stays = [stay for stay in history if stay.stage in OPEN_STAGES]
    return max(open_stays, key=lambda stay: stay.entered_at) if open_stays else None
