"""Analytics settings."""

from millbook_platform.settings import PlatformSettings


class Settings(PlatformSettings):
    service_name: str = "analytics"
