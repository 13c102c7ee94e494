"""Win probability: a transparent model of one opportunity's odds (pure, no I/O).

Two models, and the answer says which:

- `logistic_regression` when the tenant has at least `MIN_TRAINING` closed opportunities
  with both outcomes: plain gradient descent on standardized features with an L2 penalty,
  from zero weights, a fixed number of steps (deterministic). Each factor's contribution
  is its weight times its standardized value, in log-odds; they add up with the baseline.
- `stage_prior` otherwise: the stage's usual odds, lowered by fixed, documented rules for
  a stalled stage, moves back, an overdue close date and a long-open deal.

Recommendations come from the factors pulling the probability down the most.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from millbook_sales.opportunities.domain import (
    FIRST_STAGE,
    OPEN_STAGES,
    STAGE_PROBABILITY,
    Stage,
    StageStay,
    days_between,
    is_closed,
    last_open_stay,
    regressions_in,
)

MIN_TRAINING = 20
MAX_RECOMMENDATIONS = 3
# Rules of the stage-prior model (log-odds), chosen to be explainable, not fitted:
STALL_AFTER_DAYS = 30  # a stage lasting longer than this counts as stalled ...
STALL_PER_DAY = 0.03  # ... costing this much per extra day,
STALL_MAX = 1.5  # ... at most this much
REGRESSION_PENALTY = 0.5  # each move back
REGRESSION_MAX = 1.5
OVERDUE_PER_DAY = 0.02  # each day past the expected close date
OVERDUE_MAX = 1.0
LONG_OPEN_AFTER_DAYS = 120  # a deal open longer than this ...
LONG_OPEN_PER_DAY = 0.01
LONG_OPEN_MAX = 1.0

STAGE_ACTIONS = {
    Stage.QUALIFICATION: "confirm budget, decision maker and timeline",
    Stage.NEEDS_ANALYSIS: "book a technical review of the drawings and tolerances",
    Stage.PROPOSAL: "follow up on the proposal and ask for feedback on price and lead time",
    Stage.NEGOTIATION: "schedule a decision meeting",
}


@dataclass(frozen=True)
class DealFacts:
    """What the model knows of a deal at one moment (for a closed deal: when it closed)."""

    stage: str  # the open stage it is (or was last) in
    estimated_value: Decimal | None
    age_days: float
    days_in_stage: float
    stage_regressions: int
    days_past_expected_close: float
    source: str | None = None
    expected_close_date: date | None = None


@dataclass(frozen=True)
class ClosedDeal:
    facts: DealFacts
    won: bool


@dataclass(frozen=True)
class Factor:
    name: str
    value: str
    weight: float
    contribution: float  # log-odds this factor adds (negative: lowers the odds)


@dataclass(frozen=True)
class WinEstimate:
    probability: float
    model: str
    sample_size: int
    baseline: float
    factors: list[Factor]
    recommendations: list[str]


def deal_facts(
    *,
    stage: str,
    estimated_value: Decimal | None,
    created_at: datetime,
    expected_close_date: date | None,
    source: str | None,
    history: Sequence[StageStay],
    as_of: datetime,
) -> DealFacts:
    """The facts of an open deal now, or of a closed deal at its close (`as_of`)."""
    stay = last_open_stay(history)
    open_stage = stage if not is_closed(stage) else (stay.stage if stay else FIRST_STAGE)
    stage_end = stay.left_at if stay and stay.left_at and is_closed(stage) else as_of
    entered = stay.entered_at if stay else created_at
    overdue = (as_of.date() - expected_close_date).days if expected_close_date else 0
    return DealFacts(
        stage=open_stage,
        estimated_value=estimated_value,
        age_days=float(days_between(created_at, as_of)),
        days_in_stage=float(days_between(entered, stage_end)),
        stage_regressions=regressions_in(history),
        days_past_expected_close=float(max(overdue, 0)),
        source=source,
        expected_close_date=expected_close_date,
    )


# Logistic regression ------------------------------------------------------------------

FEATURES = (
    "stage",
    "estimated_value",
    "age_days",
    "days_in_stage",
    "stage_regressions",
    "days_past_expected_close",
    "source",
)


def _stage_index(stage: str) -> float:
    return float(OPEN_STAGES.index(Stage(stage))) if stage in OPEN_STAGES else 0.0


SOURCE_SMOOTHING = 5.0


def _source_rate(wins: int, total: int, overall: float) -> float:
    # The source's win rate pulled toward the overall rate; a rare source says little.
    return (wins + SOURCE_SMOOTHING * overall) / (total + SOURCE_SMOOTHING)


def feature_vector(facts: DealFacts, source_rate: float) -> list[float]:
    value = float(facts.estimated_value or 0)
    return [
        _stage_index(facts.stage),
        math.log1p(max(value, 0.0)),
        facts.age_days,
        facts.days_in_stage,
        float(facts.stage_regressions),
        facts.days_past_expected_close,
        source_rate,
    ]


@dataclass(frozen=True)
class LogisticModel:
    means: list[float]
    scales: list[float]
    weights: list[float]
    bias: float

    def standardize(self, x: Sequence[float]) -> list[float]:
        return [(v - m) / s for v, m, s in zip(x, self.means, self.scales, strict=True)]

    def contributions(self, x: Sequence[float]) -> list[float]:
        return [w * z for w, z in zip(self.weights, self.standardize(x), strict=True)]

    def probability(self, x: Sequence[float]) -> float:
        return sigmoid(self.bias + sum(self.contributions(x)))


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def fit_logistic(
    rows: Sequence[Sequence[float]],
    outcomes: Sequence[bool],
    *,
    l2: float = 0.01,
    learning_rate: float = 1.0,
    iterations: int = 1000,
) -> LogisticModel:
    """Full-batch gradient descent on standardized features; deterministic."""
    n, k = len(rows), len(rows[0])
    means = [sum(r[j] for r in rows) / n for j in range(k)]
    scales = []
    for j in range(k):
        variance = sum((r[j] - means[j]) ** 2 for r in rows) / n
        scales.append(math.sqrt(variance) if variance > 1e-12 else 1.0)
    z = [[(r[j] - means[j]) / scales[j] for j in range(k)] for r in rows]
    y = [1.0 if outcome else 0.0 for outcome in outcomes]
    weights, bias = [0.0] * k, 0.0
    for _ in range(iterations):
        errors = [
            sigmoid(bias + sum(w * v for w, v in zip(weights, zi, strict=True))) - yi
            for zi, yi in zip(z, y, strict=True)
        ]
        for j in range(k):
            gradient = sum(e * zi[j] for e, zi in zip(errors, z, strict=True)) / n
            weights[j] -= learning_rate * (gradient + l2 * weights[j])
        bias -= learning_rate * sum(errors) / n
    return LogisticModel(means, scales, weights, bias)


def _source_rates(closed: Sequence[ClosedDeal]) -> dict[str | None, tuple[int, int]]:
    counts: dict[str | None, tuple[int, int]] = {}
    for deal in closed:
        wins, total = counts.get(deal.facts.source, (0, 0))
        counts[deal.facts.source] = (wins + int(deal.won), total + 1)
    return counts


def _regression_estimate(deal: DealFacts, closed: Sequence[ClosedDeal]) -> WinEstimate:
    counts = _source_rates(closed)
    overall = sum(d.won for d in closed) / len(closed)

    def source_rate(source: str | None) -> float:
        return _source_rate(*counts.get(source, (0, 0)), overall)

    rows = [feature_vector(d.facts, source_rate(d.facts.source)) for d in closed]
    model = fit_logistic(rows, [d.won for d in closed])
    x = feature_vector(deal, source_rate(deal.source))
    contributions = model.contributions(x)
    factors = [
        Factor(name, _shown(name, deal), round(weight, 4), round(contribution, 4))
        for name, weight, contribution in zip(FEATURES, model.weights, contributions, strict=True)
    ]
    probability = model.probability(x)
    return WinEstimate(
        probability=probability,
        model="logistic_regression",
        sample_size=len(closed),
        baseline=round(model.bias, 4),
        factors=factors,
        recommendations=recommendations(deal, factors),
    )


# Stage priors -------------------------------------------------------------------------


def _capped(per_unit: float, units: float, cap: float) -> float:
    return -min(cap, per_unit * max(units, 0.0))


def _prior_estimate(deal: DealFacts, sample_size: int) -> WinEstimate:
    prior = float(STAGE_PROBABILITY[Stage(deal.stage)])
    stalled = deal.days_in_stage - STALL_AFTER_DAYS
    long_open = deal.age_days - LONG_OPEN_AFTER_DAYS
    rules: list[tuple[str, float, float]] = [
        ("stage", 1.0, logit(prior)),
        ("days_in_stage", -STALL_PER_DAY, _capped(STALL_PER_DAY, stalled, STALL_MAX)),
        (
            "stage_regressions",
            -REGRESSION_PENALTY,
            _capped(REGRESSION_PENALTY, deal.stage_regressions, REGRESSION_MAX),
        ),
        (
            "days_past_expected_close",
            -OVERDUE_PER_DAY,
            _capped(OVERDUE_PER_DAY, deal.days_past_expected_close, OVERDUE_MAX),
        ),
        ("age_days", -LONG_OPEN_PER_DAY, _capped(LONG_OPEN_PER_DAY, long_open, LONG_OPEN_MAX)),
    ]
    factors = [
        Factor(name, _shown(name, deal), weight, round(contribution, 4))
        for name, weight, contribution in rules
    ]
    probability = sigmoid(sum(f.contribution for f in factors))
    return WinEstimate(
        probability=probability,
        model="stage_prior",
        sample_size=sample_size,
        baseline=0.0,
        factors=factors,
        recommendations=recommendations(deal, factors, stage_is_prior=True),
    )


def _shown(name: str, deal: DealFacts) -> str:
    shown: dict[str, Callable[[], str]] = {
        "stage": lambda: deal.stage,
        "estimated_value": lambda: f"{deal.estimated_value or 0:.2f}",
        "age_days": lambda: f"{deal.age_days:.0f}",
        "days_in_stage": lambda: f"{deal.days_in_stage:.0f}",
        "stage_regressions": lambda: str(deal.stage_regressions),
        "days_past_expected_close": lambda: f"{deal.days_past_expected_close:.0f}",
        "source": lambda: deal.source or "unknown",
    }
    return shown[name]()


# Recommendations ----------------------------------------------------------------------


def _advice(name: str, deal: DealFacts) -> str:
    action = STAGE_ACTIONS.get(Stage(deal.stage), "agree the next step")
    days = f"{deal.days_in_stage:.0f}"
    texts: dict[str, Callable[[], str]] = {
        "stage": lambda: f"still in {deal.stage}: {action}",
        "days_in_stage": lambda: f"stalled {days} days in {deal.stage}: {action}",
        "stage_regressions": lambda: (
            f"moved back {deal.stage_regressions} time(s): re-confirm requirements and "
            "decision criteria before the next proposal"
        ),
        "days_past_expected_close": lambda: (
            f"{deal.days_past_expected_close:.0f} days past the expected close date "
            f"{deal.expected_close_date}: agree a new close date with the customer"
        ),
        "age_days": lambda: f"open {deal.age_days:.0f} days: set a dated next step or qualify out",
        "estimated_value": lambda: (
            f"value {deal.estimated_value or 0:.2f} is unlike the deals you win: "
            "offer a phased or smaller first order"
        ),
        "source": lambda: (
            f"deals from {deal.source or 'an unknown source'} close less often: "
            "qualify budget and authority early"
        ),
    }
    return texts[name]()


def recommendations(
    deal: DealFacts, factors: Sequence[Factor], *, stage_is_prior: bool = False
) -> list[str]:
    # Under the stage priors the stage term is the stage's usual odds, not a weakness.
    weakest = sorted(
        (
            f
            for f in factors
            if f.contribution < -0.05 and not (stage_is_prior and f.name == "stage")
        ),
        key=lambda f: f.contribution,
    )
    advice = [_advice(f.name, deal) for f in weakest[:MAX_RECOMMENDATIONS]]
    if deal.expected_close_date is None:
        advice.append("set an expected close date so the deal can be forecast")
    if not advice:
        advice.append(f"on track in {deal.stage}: {STAGE_ACTIONS[Stage(deal.stage)]}")
    return advice


def has_both_outcomes(closed: Sequence[ClosedDeal]) -> bool:
    return any(d.won for d in closed) and any(not d.won for d in closed)


def estimate(deal: DealFacts, closed: Sequence[ClosedDeal]) -> WinEstimate:
    """The regression when the tenant's closed deals can teach one, else the stage priors."""
    if len(closed) >= MIN_TRAINING and has_both_outcomes(closed):
        return _regression_estimate(deal, closed)
    return _prior_estimate(deal, len(closed))
