"""Every event class the sales service can reach is a registered contract, under its own
type, so the relay, the AsyncAPI document and consumers all know it."""

import millbook_sales
from millbook_contracts.events import ALL_EVENTS, EVENTS_BY_TYPE
from millbook_testing.audits import event_classes, unregistered_events


def test_the_service_reaches_events_at_all() -> None:
    assert len(event_classes(millbook_sales)) >= 5


def test_every_event_class_the_service_uses_is_registered_under_its_type() -> None:
    assert unregistered_events(millbook_sales) == {}


def test_event_types_are_unique_in_the_registry() -> None:
    assert len(EVENTS_BY_TYPE) == len(ALL_EVENTS)
