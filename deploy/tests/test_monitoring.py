"""The alert rules and dashboards speak of metrics the services really export."""

import json
import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

import millbook_platform.metrics  # noqa: F401 - registers the metrics
from millbook_stack.profiles import find_repo_root

DEPLOY = find_repo_root() / "deploy"
METRIC = re.compile(r"\b(millbook_[a-z_]+)\b")


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exported_names() -> set[str]:
    """Every series name /metrics can show, whether or not it has samples yet."""
    return {
        family.name + suffix
        for family in REGISTRY.collect()
        for suffix in SUFFIXES.get(family.type, ("",))
    }


def referenced(expressions: list[str]) -> set[str]:
    return {name for expr in expressions for name in METRIC.findall(expr)}


def test_every_alert_uses_an_exported_metric():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    assert expressions
    assert referenced(expressions) <= exported_names()


def test_every_dashboard_panel_uses_an_exported_metric():
    for path in Path(DEPLOY / "grafana" / "dashboards").glob("*.json"):
        panels = json.loads(path.read_text())["panels"]
        expressions = [target["expr"] for panel in panels for target in panel["targets"]]
        assert referenced(expressions) <= exported_names(), path.name


def test_prometheus_scrapes_every_process_of_the_local_stack():
    targets = json.loads((DEPLOY / "prometheus" / "targets.json").read_text())
    services = {t["labels"]["service"] for t in targets}
    from millbook_stack.profiles import SERVICES

    assert services == set(SERVICES)
