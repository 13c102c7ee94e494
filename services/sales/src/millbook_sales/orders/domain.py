"""The order status machine (pure)."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    CONFIRMED = "confirmed"
    IN_PRODUCTION = "in_production"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# action -> (statuses it may start from, status it leads to); nothing is cancelled once shipped.
TRANSITIONS: dict[str, tuple[frozenset[OrderStatus], OrderStatus]] = {
    "start-production": (frozenset({OrderStatus.CONFIRMED}), OrderStatus.IN_PRODUCTION),
    "ship": (frozenset({OrderStatus.IN_PRODUCTION}), OrderStatus.SHIPPED),
    "complete": (frozenset({OrderStatus.SHIPPED}), OrderStatus.COMPLETED),
    "cancel": (
        frozenset({OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION}),
        OrderStatus.CANCELLED,
    ),
}


class IllegalStep(Exception):
    """An action the order's current status does not allow."""


def next_status(current: str, action: str) -> OrderStatus:
    allowed_from, target = TRANSITIONS[action]
    if OrderStatus(current) not in allowed_from:
        raise IllegalStep(f"cannot {action} a {current} order")
    return target
