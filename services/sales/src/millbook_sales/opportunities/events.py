"""The contract events an opportunity change becomes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from millbook_contracts.sales import (
    OpportunityCreated,
    OpportunityDeleted,
    OpportunityLost,
    OpportunityStageChanged,
    OpportunityUpdated,
    OpportunityWon,
)
from millbook_platform.money import round_money
from millbook_sales.models import Opportunity


def _facts(opportunity: Opportunity, at: datetime) -> dict[str, Any]:
    value = opportunity.estimated_value
    return {
        "opportunity_id": opportunity.id,
        "opportunity_name": opportunity.opportunity_name,
        "customer_id": opportunity.customer_id,
        "estimated_value": None if value is None else round_money(value, opportunity.currency_code),
        "currency_code": opportunity.currency_code,
        "stage": opportunity.stage,
        "status": opportunity.status,
        "probability": None
        if opportunity.probability is None
        else Decimal(format(opportunity.probability.normalize(), "f")),
        "expected_close_date": opportunity.expected_close_date,
        "source": opportunity.source,
        "assigned_to": opportunity.assigned_to,
        "lost_reason": opportunity.lost_reason,
        "occurred_at": at,
    }


def created(opportunity: Opportunity) -> OpportunityCreated:
    facts = _facts(opportunity, opportunity.created_at)
    for name in ("probability", "lost_reason", "occurred_at"):
        facts.pop(name)
    return OpportunityCreated(
        **facts, lead_id=opportunity.lead_id, created_at=opportunity.created_at
    )


def updated(opportunity: Opportunity, changed: Sequence[str], at: datetime) -> OpportunityUpdated:
    return OpportunityUpdated(**_facts(opportunity, at), changed_fields=list(changed))


def stage_changed(
    opportunity: Opportunity,
    from_stage: str,
    days_in_previous: Decimal,
    changed_by: str | None,
    at: datetime,
) -> OpportunityStageChanged:
    return OpportunityStageChanged(
        **_facts(opportunity, at),
        from_stage=from_stage,
        to_stage=opportunity.stage,
        days_in_previous_stage=days_in_previous,
        changed_by=changed_by,
    )


def won(opportunity: Opportunity, at: datetime) -> OpportunityWon:
    return OpportunityWon(**_facts(opportunity, at))


def lost(opportunity: Opportunity, at: datetime) -> OpportunityLost:
    return OpportunityLost(**_facts(opportunity, at))


def deleted(opportunity: Opportunity, at: datetime) -> OpportunityDeleted:
    return OpportunityDeleted(**_facts(opportunity, at))
