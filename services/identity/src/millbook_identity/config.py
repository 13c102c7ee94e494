"""Identity settings."""

from pathlib import Path

from pydantic import SecretStr

from millbook_identity.auth.keys import KeyVault, SigningKeyUnavailable
from millbook_platform.sealing import configured_key
from millbook_platform.settings import PlatformSettings

MISSING_PASSPHRASE = (
    "Identity will not start without MILLBOOK_SIGNING_KEY_PASSPHRASE (or"
    " MILLBOOK_SIGNING_KEY_PASSPHRASE_FILE naming a file that holds it): the secret that"
    " encrypts its token-signing keys at rest; `millbook up` generates one for the local stack."
)

MISSING_INBOX_KEY = (
    "Identity will not start without MILLBOOK_INBOX_SEAL_PUBLIC_KEY (or"
    " MILLBOOK_INBOX_SEAL_PUBLIC_KEY_FILE naming a file that holds it): the inbox's public"
    " key that password-reset tokens are sealed to; `millbook up` generates the pair."
)


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
    # Encrypts the private keys that sign access tokens; required, no default. The
    # local stack generates one in its state folder and passes the file's path.
    signing_key_passphrase: SecretStr | None = None
    signing_key_passphrase_file: Path | None = None
    # The inbox's public sealing key (base64): a reset token travels in its event sealed
    # to it, so only the inbox can read it. Required, no default; not a secret itself.
    inbox_seal_public_key: str | None = None
    inbox_seal_public_key_file: Path | None = None

    def signing_passphrase(self) -> bytes | None:
        """The passphrase given directly, else read from its file, else None."""
        if self.signing_key_passphrase is not None:
            return self.signing_key_passphrase.get_secret_value().encode() or None
        if self.signing_key_passphrase_file is None:
            return None
        try:
            return self.signing_key_passphrase_file.read_text().strip().encode() or None
        except OSError as exc:
            raise SigningKeyUnavailable(
                f"MILLBOOK_SIGNING_KEY_PASSPHRASE_FILE {self.signing_key_passphrase_file}"
                f" cannot be read: {exc.strerror}."
            ) from exc

    def key_vault(self) -> KeyVault:
        """The vault of the signing keys; SigningKeyUnavailable without a passphrase."""
        passphrase = self.signing_passphrase()
        if passphrase is None:
            raise SigningKeyUnavailable(MISSING_PASSPHRASE)
        return KeyVault(passphrase)

    def inbox_public_key(self) -> str:
        """The inbox's public sealing key, checked; SealingKeyError when missing or malformed."""
        return configured_key(
            self.inbox_seal_public_key,
            self.inbox_seal_public_key_file,
            setting="MILLBOOK_INBOX_SEAL_PUBLIC_KEY",
            missing=MISSING_INBOX_KEY,
        )
