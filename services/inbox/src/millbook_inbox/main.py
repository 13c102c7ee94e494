"""The inbox HTTP app (features arrive with the inbox issue)."""

from millbook_inbox.config import Settings
from millbook_platform.app import ServiceSpec, create_app

app = create_app(
    Settings(),  # database_url comes from the environment
    ServiceSpec(
        title="Millbook inbox",
        description="Email in and out, chat conversations, the knowledge base and webhooks.",
    ),
)
