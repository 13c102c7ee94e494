"""Identity settings."""

from millbook_platform.settings import PlatformSettings


class Settings(PlatformSettings):
    service_name: str = "identity"
    access_token_ttl_s: int = 900
    refresh_token_ttl_days: int = 30
