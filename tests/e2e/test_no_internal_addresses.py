"""No internal address ever reaches a client.

A crawl of the whole API through the gateway, driven by the merged OpenAPI
document: every GET (with ids of real resources where a list offers one, a
random UUID otherwise), the same with a trailing slash, every write that takes
a body with a malformed and a mistyped body, methods a path does not allow,
paths nobody serves, and a few requests without or with bad credentials. Every
answer's headers and body are scanned for the services' internal host:port
pairs and ports (and PostgreSQL's and Kafka's), and none may be a redirect.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from millbook_stack.profiles import Profile
from millbook_testing.waiting import eventually

from .conftest import create_organization, login

pytestmark = pytest.mark.e2e

READ, WRITES = "get", ("post", "put", "patch")
METHODS = ("get", "post", "put", "patch", "delete")
# Routes with tight per-IP budgets of their own (sign-in), and the one that signs everyone out
# of the stack's signing key: never crawled blindly.
SKIPPED = ("/v1/auth/login", "/v1/auth/signup", "/v1/auth/password-reset", "/v1/auth/keys")
SAMPLE_BY_FORMAT = {"uuid": None, "date": "2026-12-31", "date-time": "2026-12-31T12:00:00Z"}
SAMPLE_BY_NAME = {"currency_code": "EUR", "format": "json"}


def internal_addresses(profile: Profile) -> re.Pattern[str]:
    """Every internal port of the stack (services, PostgreSQL, Kafka) as a number of its own:
    in `127.0.0.1:18302`, `localhost:18302`, `"port": 18302` alike. The gateway's is public."""
    ports = [port for name, port in profile.all_ports().items() if name != "gateway"]
    alternatives = "|".join(str(port) for port in ports)
    return re.compile(rf"(?<![\w.])(?:{alternatives})(?!\w)")


@dataclass
class Crawl:
    """Sends requests through the gateway and keeps what every answer revealed."""

    client: httpx.AsyncClient
    headers: dict[str, str]
    internal: re.Pattern[str]
    requests: int = 0
    leaks: list[str] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)
    slash_mismatches: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    async def send(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        sent = self.headers if headers is None else headers
        response = await self.client.request(method.upper(), url, headers=sent, **kwargs)
        self.requests += 1
        what = f"{method.upper()} {url} -> {response.status_code}"
        self.statuses[response.status_code] += 1
        if 300 <= response.status_code < 400:
            self.redirects.append(f"{what} Location: {response.headers.get('location')}")
        for name, value in response.headers.multi_items():
            if found := self.internal.search(f"{name}: {value}"):
                self.leaks.append(f"{what}: header {name}: {value!r} names {found.group()!r}")
        text = response.content.decode("latin-1")
        if found := self.internal.search(text):
            context = text[max(0, found.start() - 60) : found.end() + 60]
            self.leaks.append(f"{what}: body names {found.group()!r} in …{context}…")
        return response


def sample(parameter: dict[str, Any], known_id: str | None) -> str:
    """A value for a path or query parameter: a real id where one is known, else its type's."""
    schema = parameter.get("schema", {})
    if parameter["name"] in SAMPLE_BY_NAME:
        return SAMPLE_BY_NAME[parameter["name"]]
    fmt = schema.get("format")
    if fmt == "uuid":
        return known_id or str(uuid.uuid4())
    if fmt in SAMPLE_BY_FORMAT:
        return str(SAMPLE_BY_FORMAT[fmt])
    if schema.get("type") == "integer":
        return "1"
    return known_id or "unknown"


def url_for(path: str, operation: dict[str, Any], ids: dict[str, str]) -> str:
    """The operation's URL: path parameters filled, required query parameters given."""
    query = []
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            collection = path.split("/{" + parameter["name"] + "}")[0]
            path = path.replace(
                "{" + parameter["name"] + "}", sample(parameter, ids.get(collection))
            )
        elif parameter["in"] == "query" and parameter.get("required"):
            query.append(f"{parameter['name']}={sample(parameter, None)}")
    return path + ("?" + "&".join(query) if query else "")


def operations(
    document: dict[str, Any], methods: tuple[str, ...]
) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in document["paths"].items():
        if path.startswith(SKIPPED):
            continue
        for method, operation in item.items():
            if method in methods:
                found.append((method, path, operation))
    return found


def with_trailing_slash(url: str) -> str:
    path, _, query = url.partition("?")
    return path + "/" + ("?" + query if query else "")


async def complete_openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    """The merged document once every service contributed to it."""

    async def fetch() -> dict[str, Any]:
        return (await client.get("/openapi.json")).json()

    return await eventually(
        fetch,
        lambda doc: not doc["info"].get("x-unavailable"),
        within_s=60,
        every_s=1.0,
        what="every service in the merged OpenAPI document",
    )


async def professional_admin(stack, gateway: httpx.AsyncClient) -> dict[str, str]:
    """A fresh organization on the professional tier, so the crawl fits its per-minute budget."""
    email, password, org = create_organization(
        stack, f"Crawl {uuid.uuid4().hex[:6]}", platform_admin=True
    )
    token = await login(gateway, email, password)
    tier = await gateway.patch(
        f"/v1/organizations/{org}",
        json={"plan_tier": "professional"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert tier.status_code == 200, tier.text
    return {"Authorization": f"Bearer {await login(gateway, email, password)}"}


async def seed(crawl: Crawl) -> None:
    """A few resources of the crawl's own, so single-resource GETs answer 200 with real bodies."""
    for path, body in [
        ("/v1/customers", {"name": "Crawl Hydraulics"}),
        ("/v1/leads", {"name": "Dana Crawl", "company": "Crawl Hydraulics"}),
        ("/v1/api-keys", {"name": "crawl", "scopes": ["customers:read"]}),
    ]:
        response = await crawl.send("post", path, json=body)
        assert response.status_code == 201, response.text


async def crawl_reads(crawl: Crawl, document: dict[str, Any]) -> None:
    ids: dict[str, str] = {}
    reads = sorted(operations(document, (READ,)), key=lambda op: op[1].count("{"))
    for _, path, operation in reads:  # collections first: their items name real ids
        url = url_for(path, operation, ids)
        plain = await crawl.send("get", url)
        slashed = await crawl.send("get", with_trailing_slash(url))
        if slashed.status_code != plain.status_code:
            crawl.slash_mismatches.append(
                f"{url} {plain.status_code}, with / {slashed.status_code}"
            )
        data = _json(plain).get("data")
        if isinstance(data, list) and data and isinstance(data[0], dict) and "id" in data[0]:
            ids[path] = str(data[0]["id"])


async def crawl_writes(crawl: Crawl, document: dict[str, Any]) -> None:
    """Bad bodies only, on random ids: the crawl changes nothing."""
    for method, path, operation in operations(document, WRITES):
        if "requestBody" not in operation:
            continue  # a bodiless step (send, archive, logout) would act whatever it is sent
        url = url_for(path, operation, {})
        json_headers = {**crawl.headers, "Content-Type": "application/json"}
        await crawl.send(method, url, content=b'{"name": ', headers=json_headers)
        await crawl.send(method, url, content=b"[1, 2]", headers=json_headers)


async def crawl_errors(crawl: Crawl, document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        missing = [m for m in METHODS if m not in item and m != "post"]
        if missing and not path.startswith(SKIPPED):
            await crawl.send(missing[0], url_for(path, _any_operation(item), {}))
    for url in ["/v1/nowhere", "/v2/customers", f"/v1/customers/{uuid.uuid4()}/nothing", "/v1/"]:
        await crawl.send("get", url)
    await crawl.send("get", "/v1/customers", headers={})
    await crawl.send("get", "/v1/customers", headers={"Authorization": "Bearer not-a-token"})
    await crawl.send("get", "/v1/customers", headers={"X-API-Key": "sk_test_" + "0" * 32})
    await crawl.send(
        "options",
        "/v1/customers",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
        },
    )
    for url in ["/openapi.json", "/docs", "/health", "/health/ready", "/health/live", "/metrics"]:
        await crawl.send("get", url, headers={})


def _any_operation(item: dict[str, Any]) -> dict[str, Any]:
    return next(op for method, op in item.items() if method in METHODS)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def test_a_crawl_of_the_whole_api_never_sees_an_internal_address_or_a_redirect(
    stack, gateway
):
    document = await complete_openapi(gateway)
    crawl = Crawl(
        gateway, await professional_admin(stack, gateway), internal_addresses(stack.profile)
    )

    await seed(crawl)
    await crawl_reads(crawl, document)
    await crawl_writes(crawl, document)
    await crawl_errors(crawl, document)

    print(f"crawl: {crawl.requests} requests; by status: {sorted(crawl.statuses.items())}")
    assert crawl.requests > 300
    assert not crawl.leaks, "\n".join(crawl.leaks)
    assert not crawl.redirects, "\n".join(crawl.redirects)
    assert not crawl.slash_mismatches, "\n".join(crawl.slash_mismatches)
