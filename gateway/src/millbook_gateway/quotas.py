"""Whose budget a request spends, and how big it is.

A user or an API key spends its own budget, sized by its organization's tier
(the `tier` claim of its access token); an anonymous request spends its client
IP's. Sign-in routes (login, signup, password reset) have tight budgets of their
own per client IP and per (account email, client IP), so guessing passwords is
slow, yet a stranger spending an account's budget elsewhere cannot keep its owner
out. Guesses spread over many addresses are identity's to slow (its lockout has a
ceiling per account).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from millbook_gateway.ratelimit import Quota, Window
from millbook_platform.auth import Principal

HOUR, MINUTE = 3600, 60
STANDARD = "standard"
TIERS: Mapping[str, tuple[Window, ...]] = {
    STANDARD: (Window(1_000, HOUR), Window(100, MINUTE)),
    "professional": (Window(10_000, HOUR), Window(1_000, MINUTE)),
}
SIGN_IN_ROUTES = ("/v1/auth/login", "/v1/auth/signup", "/v1/auth/password-reset")


@dataclass(frozen=True)
class QuotaRules:
    """Per-organization hourly budgets (enterprise contracts) and sign-in budgets per minute
    (`sign_in_per_email` is per email and client IP together)."""

    overrides: Mapping[str, int] = field(default_factory=dict)
    enterprise_per_hour: int = 100_000
    sign_in_per_ip: int = 10
    sign_in_per_email: int = 5

    def windows(self, tier: str, organization_id: str) -> tuple[Window, ...]:
        per_hour = self.overrides.get(organization_id)
        if per_hour is None and tier == "enterprise":
            per_hour = self.enterprise_per_hour
        if per_hour is not None:
            return hourly_with_burst(per_hour)
        return TIERS.get(tier, TIERS[STANDARD])

    def for_principal(self, principal: Principal) -> list[Quota]:
        claims = principal.claims
        # Identity may name the organization apart from the tenant (a sandbox key's tenant).
        organization = str(claims.get("org") or principal.tenant_id)
        tier = str(claims.get("tier") or STANDARD)
        subject = f"{principal.kind}:{principal.subject_id}"
        return [Quota(subject, w) for w in self.windows(tier, organization)]

    def sign_in(self, client_ip: str, email: str | None) -> list[Quota]:
        quotas = [Quota(f"sign-in-ip:{client_ip}", Window(self.sign_in_per_ip, MINUTE))]
        if email:
            key = f"sign-in-email:{client_ip}:{email}"
            quotas.append(Quota(key, Window(self.sign_in_per_email, MINUTE)))
        return quotas


def hourly_with_burst(per_hour: int) -> tuple[Window, ...]:
    """An hourly budget with a burst of a tenth of it per minute, as the tiers have."""
    return (Window(per_hour, HOUR), Window(max(per_hour // 10, 1), MINUTE))


def anonymous(client_ip: str) -> list[Quota]:
    return [Quota(f"ip:{client_ip}", w) for w in TIERS[STANDARD]]


def is_sign_in(method: str, path: str) -> bool:
    return method.upper() == "POST" and any(path.startswith(r) for r in SIGN_IN_ROUTES)


def account_email(body: object) -> str | None:
    """The account a sign-in body names (`email`, or signup's `admin_email`), normalized."""
    if not isinstance(body, dict):
        return None
    for name in ("email", "admin_email"):
        value = body.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return None
