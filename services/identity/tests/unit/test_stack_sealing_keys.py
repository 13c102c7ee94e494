"""The local stack gives identity the inbox's public sealing key and the inbox its private
half, so what identity seals only the inbox opens."""

import stat
from pathlib import Path

import pytest

from millbook_identity.config import MISSING_INBOX_KEY
from millbook_identity.config import Settings as IdentitySettings
from millbook_inbox.config import Settings as InboxSettings
from millbook_platform.sealing import SealingKeyError, open_sealed, seal
from millbook_stack.profiles import SERVICES, Profile
from millbook_stack.services import ensure_inbox_seal_keys, service_env

URL = "postgresql+psycopg://identity@127.0.0.1:1/identity"


def stack_in(state_dir: Path) -> Profile:
    return Profile(
        name="test",
        state_dir=state_dir,
        pg_port=1,
        kafka_port=2,
        kafka_controller_port=3,
        service_ports={name: 4 + i for i, name in enumerate(SERVICES)},
    )


def test_the_stack_generates_one_key_pair_per_state_folder_and_keeps_it(tmp_path):
    profile = stack_in(tmp_path / "stack")

    public, private = ensure_inbox_seal_keys(profile)
    first = (public.read_text(), private.read_text())
    again = ensure_inbox_seal_keys(profile)
    other = ensure_inbox_seal_keys(stack_in(tmp_path / "other"))

    assert again == (public, private)
    assert (public.read_text(), private.read_text()) == first
    assert other[1].read_text() != private.read_text()
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_the_inbox_opens_what_identity_seals_with_the_keys_the_stack_hands_out(tmp_path):
    profile = stack_in(tmp_path / "stack")
    _, private = ensure_inbox_seal_keys(profile)
    identity_env, inbox_env = service_env(profile, "identity"), service_env(profile, "inbox")

    identity = IdentitySettings(
        database_url=URL,
        inbox_seal_public_key_file=identity_env["MILLBOOK_INBOX_SEAL_PUBLIC_KEY_FILE"],
    )
    inbox = InboxSettings(
        database_url=URL,
        inbox_seal_private_key_file=inbox_env["MILLBOOK_INBOX_SEAL_PRIVATE_KEY_FILE"],
    )
    sealed = seal("a reset token", identity.inbox_public_key())

    assert open_sealed(sealed, inbox.seal_private_key()) == "a reset token"
    assert "MILLBOOK_INBOX_SEAL_PRIVATE_KEY_FILE" not in identity_env
    assert private.read_text().strip() not in "".join(identity_env.values())
    assert private.read_text().strip() not in "".join(inbox_env.values())
    for name in ("sales", "billing", "gateway"):
        assert not any("INBOX_SEAL" in key for key in service_env(profile, name))


def test_identity_refuses_a_missing_or_malformed_inbox_key_in_one_sentence(tmp_path):
    with pytest.raises(SealingKeyError) as missing:
        IdentitySettings(database_url=URL).inbox_public_key()
    with pytest.raises(SealingKeyError, match="not valid base64"):
        IdentitySettings(database_url=URL, inbox_seal_public_key="%%%").inbox_public_key()
    with pytest.raises(SealingKeyError, match="cannot be read"):
        IdentitySettings(
            database_url=URL, inbox_seal_public_key_file=tmp_path / "absent"
        ).inbox_public_key()

    assert str(missing.value) == MISSING_INBOX_KEY
    assert "\n" not in MISSING_INBOX_KEY


def test_the_inbox_has_no_default_private_key():
    with pytest.raises(SealingKeyError, match="MILLBOOK_INBOX_SEAL_PRIVATE_KEY"):
        InboxSettings(database_url=URL).seal_private_key()
