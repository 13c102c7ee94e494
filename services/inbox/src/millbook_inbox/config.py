"""Inbox settings."""

from pathlib import Path

from pydantic import SecretStr

from millbook_platform.sealing import SealingKeyError, checked_key
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
        text = None
        if self.inbox_seal_private_key is not None:
            text = self.inbox_seal_private_key.get_secret_value()
        elif self.inbox_seal_private_key_file is not None:
            try:
                text = self.inbox_seal_private_key_file.read_text()
            except OSError as exc:
                raise SealingKeyError(
                    f"MILLBOOK_INBOX_SEAL_PRIVATE_KEY_FILE {self.inbox_seal_private_key_file}"
                    f" cannot be read: {exc.strerror}."
                ) from exc
        if text is None or not text.strip():
            raise SealingKeyError(MISSING_SEAL_KEY)
        return checked_key(text, setting="MILLBOOK_INBOX_SEAL_PRIVATE_KEY")
