"""Every event class the billing service can publish is a registered contract.

Imports every module of the service, then checks each `Event` subclass it can reach
(defined in the service or imported from contracts) is in `ALL_EVENTS` under its own
type, so the relay, the AsyncAPI document and consumers all know it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import millbook_billing
from millbook_contracts.events import ALL_EVENTS, EVENTS_BY_TYPE, Event


def _modules() -> list[ModuleType]:
    found = [millbook_billing]
    for info in pkgutil.walk_packages(millbook_billing.__path__, prefix="millbook_billing."):
        if info.name != "millbook_billing.main":  # builds the app from the environment
            found.append(importlib.import_module(info.name))
    return found


def _event_classes() -> dict[str, type[Event]]:
    classes: dict[str, type[Event]] = {}
    for module in _modules():
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Event) and value is not Event:
                classes[f"{module.__name__}.{name}"] = value
    return classes


def test_the_service_reaches_events_at_all() -> None:
    assert len(_event_classes()) >= 5


def test_every_event_class_the_service_uses_is_registered() -> None:
    unregistered = {
        where: cls.__qualname__ for where, cls in _event_classes().items() if cls not in ALL_EVENTS
    }
    assert unregistered == {}


def test_every_event_class_is_registered_under_its_own_type() -> None:
    wrong = {
        where: cls.event_type
        for where, cls in _event_classes().items()
        if EVENTS_BY_TYPE.get(cls.event_type) is not cls
    }
    assert wrong == {}


def test_event_types_are_unique_in_the_registry() -> None:
    assert len(EVENTS_BY_TYPE) == len(ALL_EVENTS)
