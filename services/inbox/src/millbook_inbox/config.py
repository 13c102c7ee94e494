"""Inbox settings."""

from pathlib import Path

from pydantic import SecretStr

from millbook_platform.sealing import configured_key
from millbook_platform.settings import PlatformSettings

MISSING_SEAL_KEY = (
    "The inbox needs MILLBOOK_INBOX_SEAL_PRIVATE_KEY (or MILLBOOK_INBOX_SEAL_PRIVATE_KEY_FILE"
    " naming a file that holds it) to open the password-reset tokens identity seals to it;"
    " `millbook up` generates the pair."
)


class Settings(PlatformSettings):
    service_name: str = "inbox"
    # The private half of the key pair other services seal secrets to (base64, 32 bytes):
    # identity seals password-reset tokens to the public half. No default; the local
    # stack generates the pair in its state folder and passes this file's path.
    inbox_seal_private_key: SecretStr | None = None
    inbox_seal_private_key_file: Path | None = None

    def seal_private_key(self) -> str:
        """The private sealing key, checked; SealingKeyError when missing or malformed."""
        secret = self.inbox_seal_private_key
        return configured_key(
            secret.get_secret_value() if secret is not None else None,
            self.inbox_seal_private_key_file,
            setting="MILLBOOK_INBOX_SEAL_PRIVATE_KEY",
            missing=MISSING_SEAL_KEY,
        )
