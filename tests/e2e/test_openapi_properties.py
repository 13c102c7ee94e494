"""Property-based tests over every operation of the merged OpenAPI document (schemathesis).

Each operation of the gateway's `/openapi.json` gets a fixed, seeded budget of generated
requests, sent through the gateway by an organization admin (bearer), and every answer
must pass three checks: no 5xx (`not_a_server_error`), a status the document lists
(`status_code_conformance`) and a body that matches the schema documented for that status
(`response_schema_conformance`). The document is what clients are generated from, so a
lie in it is a bug.

The fuzzing organization is on the enterprise plan (made by a platform admin), so the
run measures the API rather than the standard plan's 100-a-minute burst.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from millbook_stack import api
from millbook_stack.profiles import find_repo_root

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = int(os.environ.get("MILLBOOK_FUZZ_EXAMPLES", "6"))
SEED = 20261207
CHECKS: dict[str, Callable[..., Any]] = {
    "not_a_server_error": not_a_server_error,
    "status_code_conformance": status_code_conformance,
    "response_schema_conformance": response_schema_conformance,
}

CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key"})

# Operations not fuzzed, each with its reason. Everything else in the document is.
EXCLUDED: dict[str, str] = {
    "POST /v1/auth/logout": "ends the session of the test's own access token",
}


@dataclass
class Outcome:
    operations: int = 0
    calls: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: dict[str, Counter[int]] = field(default_factory=dict)
    # (check, operation) -> the first failure's text
    failures: dict[tuple[str, str], str] = field(default_factory=dict)


def seed_platform_admin(stack: Any) -> tuple[str, str]:
    """A platform admin in an organization of its own, through identity's seeding command."""
    email = f"platform-{uuid.uuid4().hex[:8]}@e2e.example.com"
    password = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        **api.service_env(stack.profile, "identity"),
        "MILLBOOK_DEMO_PASSWORD": password,
    }
    command = [sys.executable, "-m", "millbook_identity.demo", "--email", email]
    result = subprocess.run(
        [*command, "--organization", "Fuzz Platform", "--platform-admin"],
        cwd=find_repo_root(),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return email, password


def login(client: httpx.Client, email: str, password: str) -> str:
    response = client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["access_token"])


def enterprise_admin_token(stack: Any) -> str:
    """An access token of the admin of a fresh organization on the enterprise plan."""
    with httpx.Client(base_url=stack.gateway, timeout=30) as client:
        platform = login(client, *seed_platform_admin(stack))
        email = f"fuzz-{uuid.uuid4().hex[:8]}@e2e.example.com"
        password = secrets.token_urlsafe(16)
        created = client.post(
            "/v1/organizations",
            headers={"Authorization": f"Bearer {platform}"},
            json={
                "name": f"Fuzz Shop {uuid.uuid4().hex[:6]}",
                "plan_tier": "enterprise",
                "admin": {"email": email, "password": password},
            },
        )
        assert created.status_code == 201, created.text
        return login(client, email, password)


def merged_document(gateway: str, within_s: float = 60.0) -> dict[str, Any]:
    """The gateway's document once every service is in it (a busy service may miss a fetch)."""
    deadline = time.monotonic() + within_s
    while True:
        document: dict[str, Any] = httpx.get(f"{gateway}/openapi.json", timeout=30).json()
        missing = document["info"]["x-unavailable"]
        if not missing:
            return document
        assert time.monotonic() < deadline, f"services missing from the document: {missing}"
        time.sleep(1.0)  # the gateway rebuilds an incomplete document every few seconds


def fuzz_operation(
    operation: Any, base_url: str, session: requests.Session, outcome: Outcome
) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy())
    def examples(case: Any) -> None:
        # Schemathesis fills documented security schemes with made-up credentials; the
        # test's own admin must be the caller, or most calls only measure a 401.
        for name in [h for h in case.headers or {} if h.lower() in CREDENTIAL_HEADERS]:
            del case.headers[name]
        response = case.call(base_url=base_url, session=session, timeout=60)
        outcome.calls += 1
        outcome.statuses[response.status_code] += 1
        outcome.by_operation.setdefault(label, Counter())[response.status_code] += 1
        for name, check in CHECKS.items():
            if (name, label) in outcome.failures:
                continue
            try:
                case.validate_response(response, checks=[check])
            except FailureGroup as group:
                outcome.failures.setdefault((name, label), f"{group}"[:3000])

    examples()


@pytest.mark.timeout(900)
def test_every_operation_answers_what_its_document_promises(stack):
    token = enterprise_admin_token(stack)
    schema = schemathesis.openapi.from_dict(merged_document(stack.gateway))
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    outcome = Outcome()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if f"{operation.method.upper()} {operation.path}" in EXCLUDED:
            continue
        outcome.operations += 1
        fuzz_operation(operation, stack.gateway, session, outcome)
    elapsed = time.monotonic() - started

    if os.environ.get("MILLBOOK_FUZZ_VERBOSE"):
        for label, statuses in outcome.by_operation.items():
            print(f"{label}: {dict(sorted(statuses.items()))}")
    failures = outcome.failures
    print(
        f"\nschemathesis: {outcome.operations} operations, {outcome.calls} calls "
        f"({EXAMPLES_PER_OPERATION} examples each, seed {SEED}) in {elapsed:.1f}s; "
        f"statuses {dict(sorted(outcome.statuses.items()))}; "
        f"{len(failures)} failures"
    )
    assert not failures, "\n\n".join(
        f"[{check}] {operation}\n{text}" for (check, operation), text in failures.items()
    )


def test_every_documented_error_is_the_error_envelope_with_short_unique_ids(stack):
    """What the checks above cannot see: FastAPI's `HTTPValidationError` requires no field,
    so a `{"error": ...}` body passes it; the document itself must name the real envelope."""
    document = merged_document(stack.gateway)
    envelope = {"$ref": "#/components/schemas/ErrorResponse"}
    lies, ids = [], []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            ids.append(operation["operationId"])
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if int(status) >= 400 and schema != envelope:
                    lies.append(f"{method.upper()} {path} {status}: {schema}")
    assert not lies, "\n".join(lies[:20])
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert len(ids) == len(set(ids))
    assert max(len(i) for i in ids) <= 40
    assert "/v1/keys" in document["paths"]
