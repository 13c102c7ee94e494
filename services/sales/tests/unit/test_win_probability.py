"""Opportunity stages and the win-probability models (stage priors, logistic regression)."""

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest

from millbook_sales.opportunities import domain
from millbook_sales.opportunities import win_probability as wp
from millbook_sales.opportunities.domain import Stage, StageStay
from millbook_sales.opportunities.win_probability import ClosedDeal, DealFacts

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def facts(**overrides) -> DealFacts:
    values = {
        "stage": "proposal",
        "estimated_value": D("10000"),
        "age_days": 20.0,
        "days_in_stage": 5.0,
        "stage_regressions": 0,
        "days_past_expected_close": 0.0,
        "source": "website",
        "expected_close_date": date(2026, 3, 1),
    }
    return DealFacts(**{**values, **overrides})


# Stages -------------------------------------------------------------------------------


def test_status_follows_the_stage():
    assert [domain.status_of(s) for s in ("proposal", "closed_won", "closed_lost")] == [
        "open",
        "won",
        "lost",
    ]


def test_open_stages_move_freely_but_closed_ones_are_final():
    domain.check_stage_change("negotiation", "qualification", None)
    domain.check_stage_change("qualification", "closed_won", None)
    with pytest.raises(domain.IllegalStageChange):
        domain.check_stage_change("closed_won", "proposal", None)
    with pytest.raises(domain.IllegalStageChange):
        domain.check_stage_change("closed_lost", "closed_won", None)


def test_closing_lost_needs_a_reason():
    with pytest.raises(domain.LostReasonRequired):
        domain.check_stage_change("proposal", "closed_lost", "  ")
    domain.check_stage_change("proposal", "closed_lost", "price too high")


def test_only_a_closed_opportunity_reopens_and_only_to_an_open_stage():
    domain.check_reopen("closed_lost", "negotiation")
    with pytest.raises(domain.IllegalStageChange):
        domain.check_reopen("proposal", "negotiation")
    with pytest.raises(domain.IllegalStageChange):
        domain.check_reopen("closed_won", "closed_lost")


def test_a_move_back_between_open_stages_is_a_regression():
    assert domain.is_regression("negotiation", "proposal")
    assert not domain.is_regression("proposal", "negotiation")
    assert not domain.is_regression("negotiation", "closed_lost")
    assert not domain.is_regression(None, "qualification")


def test_facts_of_a_closed_deal_are_taken_at_its_last_open_stage():
    history = [
        StageStay("qualification", None, T0, T0 + timedelta(days=2)),
        StageStay("negotiation", "qualification", T0 + timedelta(days=2), T0 + timedelta(days=4)),
        StageStay("proposal", "negotiation", T0 + timedelta(days=4), T0 + timedelta(days=10)),
        StageStay("closed_won", "proposal", T0 + timedelta(days=10), None),
    ]
    f = wp.deal_facts(
        stage="closed_won",
        estimated_value=D(5),
        created_at=T0,
        expected_close_date=date(2026, 1, 8),
        source="referral",
        history=history,
        as_of=T0 + timedelta(days=10),
    )
    assert (f.stage, f.days_in_stage, f.age_days) == ("proposal", 6.0, 10.0)
    assert (f.stage_regressions, f.days_past_expected_close) == (1, 3.0)


# Stage priors -------------------------------------------------------------------------


def test_a_fresh_deal_gets_its_stages_usual_odds():
    for stage, prior in domain.STAGE_PROBABILITY.items():
        if stage in domain.OPEN_STAGES:
            result = wp.estimate(facts(stage=stage.value), [])
            assert result.model == "stage_prior"
            assert result.probability == pytest.approx(float(prior), abs=1e-4)


def test_a_stalled_deal_scores_lower_and_is_told_to_meet():
    fresh = wp.estimate(facts(stage="negotiation"), [])
    stalled = wp.estimate(facts(stage="negotiation", days_in_stage=45.0), [])
    assert stalled.probability < fresh.probability
    days = next(f for f in stalled.factors if f.name == "days_in_stage")
    assert days.contribution == pytest.approx(-0.45)
    assert stalled.recommendations[0] == (
        "stalled 45 days in negotiation: schedule a decision meeting"
    )


def test_regressions_and_an_overdue_close_date_lower_the_odds_and_are_explained():
    result = wp.estimate(
        facts(stage_regressions=2, days_past_expected_close=10.0, expected_close_date=None), []
    )
    assert result.probability < 0.5
    assert result.recommendations[0].startswith("moved back 2 time(s)")
    assert any("days past the expected close date" in r for r in result.recommendations)
    assert result.recommendations[-1] == "set an expected close date so the deal can be forecast"


def test_the_prior_model_is_used_until_there_are_twenty_closed_deals_with_both_outcomes():
    only_wins = [ClosedDeal(facts(), True) for _ in range(30)]
    assert wp.estimate(facts(), only_wins).model == "stage_prior"
    nineteen = [ClosedDeal(facts(), i % 2 == 0) for i in range(19)]
    result = wp.estimate(facts(), nineteen)
    assert (result.model, result.sample_size) == ("stage_prior", 19)


# Logistic regression ------------------------------------------------------------------


def separable_history() -> list[ClosedDeal]:
    """Deals that stalled lost, deals that moved quickly won; nothing else differs."""
    deals = []
    for i in range(15):
        deals.append(ClosedDeal(facts(days_in_stage=2.0 + i % 4, age_days=15.0 + i), True))
        deals.append(ClosedDeal(facts(days_in_stage=40.0 + i % 5, age_days=15.0 + i), False))
    return deals


def test_regression_on_separable_history_is_sure_of_the_clear_winner_and_loser():
    history = separable_history()
    winner = wp.estimate(facts(days_in_stage=3.0), history)
    loser = wp.estimate(facts(days_in_stage=42.0), history)
    assert (winner.model, winner.sample_size) == ("logistic_regression", 30)
    assert winner.probability > 0.9
    assert loser.probability < 0.1
    days = next(f for f in loser.factors if f.name == "days_in_stage")
    assert days.weight < 0 < -days.contribution
    assert loser.recommendations[0].startswith("stalled 42 days in proposal")


def test_regression_contributions_add_up_to_the_probability():
    result = wp.estimate(facts(days_in_stage=20.0), separable_history())
    log_odds = result.baseline + sum(f.contribution for f in result.factors)
    assert result.probability == pytest.approx(1 / (1 + math.exp(-log_odds)), abs=1e-3)
    assert {f.name for f in result.factors} == set(wp.FEATURES)


def test_regression_learns_which_source_wins():
    deals = []
    for i in range(12):
        deals.append(ClosedDeal(facts(source="referral", age_days=10.0 + i), True))
        deals.append(ClosedDeal(facts(source="trade_show", age_days=10.0 + i), False))
    referral = wp.estimate(facts(source="referral"), deals)
    trade_show = wp.estimate(facts(source="trade_show"), deals)
    assert referral.probability > 0.7 > 0.3 > trade_show.probability


def test_fitting_is_deterministic_and_ignores_constant_features():
    rows = [[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0]]
    first = wp.fit_logistic(rows, [False, False, True, True])
    again = wp.fit_logistic(rows, [False, False, True, True])
    assert first == again
    assert first.weights[0] > 0
    assert first.weights[1] == 0.0
    assert first.probability([4.0, 5.0]) > 0.5 > first.probability([1.0, 5.0])


def test_every_stage_has_an_action():
    assert set(wp.STAGE_ACTIONS) == set(domain.OPEN_STAGES)
    assert Stage.CLOSED_WON not in wp.STAGE_ACTIONS
