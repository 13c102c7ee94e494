"""Encrypt the private signing keys at rest with MILLBOOK_SIGNING_KEY_PASSPHRASE.

Every stored key that is still unencrypted PEM (retired ones too: their private half
is as secret as the current one's) is rewritten as PKCS#8 encrypted with the
passphrase, the same as identity now writes new keys. Without a passphrase this
refuses when there is a key to encrypt, as identity refuses to start without one; a
database without keys needs none.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from millbook_identity.auth.keys import KeyVault, is_sealed
from millbook_identity.config import MISSING_PASSPHRASE, Settings

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNING_KEYS = sa.table(
    "signing_keys", sa.column("kid", sa.String()), sa.column("private_key_pem", sa.Text())
)


def upgrade() -> None:
    keys = _stored_keys(sealed=False)
    if keys:
        vault = _vault(len(keys))
        _rewrite({kid: vault.seal_plain(pem) for kid, pem in keys})


def downgrade() -> None:
    # The code before 0005 reads only plain PEM.
    keys = _stored_keys(sealed=True)
    if keys:
        vault = _vault(len(keys))
        _rewrite({kid: vault.open(kid, pem, {}).private_key_pem for kid, pem in keys})


def _stored_keys(*, sealed: bool) -> list[tuple[str, str]]:
    rows = op.get_bind().execute(sa.select(SIGNING_KEYS.c.kid, SIGNING_KEYS.c.private_key_pem))
    return [(kid, pem) for kid, pem in rows if is_sealed(pem) == sealed]


def _vault(count: int) -> KeyVault:
    settings = Settings(database_url=op.get_bind().engine.url.render_as_string())
    passphrase = settings.signing_passphrase()
    if passphrase is None:
        raise RuntimeError(f"{count} signing key(s) to convert. {MISSING_PASSPHRASE}")
    return KeyVault(passphrase)


def _rewrite(pems: dict[str, str]) -> None:
    for kid, pem in pems.items():
        op.execute(
            sa.update(SIGNING_KEYS).where(SIGNING_KEYS.c.kid == kid).values(private_key_pem=pem)
        )
