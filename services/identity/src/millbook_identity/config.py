"""Identity settings."""

from millbook_platform.settings import PlatformSettings


class Settings(PlatformSettings):
    service_name: str = "identity"
    access_token_ttl_s: int = 900
    # A login's refresh token lives a day, or 30 days when the user asked to be remembered.
    refresh_token_ttl_days: int = 1
    remember_me_ttl_days: int = 30
    # Access tokens the gateway gets for an API key are short: revocation need not wait long.
    api_key_token_ttl_s: int = 300
    # MILLBOOK_PUBLIC_SIGNUP=false turns `POST /v1/auth/signup` off for private installs.
    public_signup: bool = True
    # How often the audit retention job runs (it also runs once at startup).
    audit_purge_interval_s: float = 86_400.0
