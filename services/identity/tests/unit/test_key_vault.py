import jwt
import pytest

from millbook_identity.auth.keys import (
    KeyVault,
    SigningKeyUnavailable,
    generate_key_material,
    is_sealed,
)
from millbook_identity.bootstrap import build_app
from millbook_identity.config import MISSING_PASSPHRASE, Settings
from millbook_platform.auth import ALGORITHM

PASSPHRASE = b"a passphrase long enough"
URL = "postgresql+psycopg://nobody@127.0.0.1:1/nothing"


def test_a_sealed_key_is_encrypted_pem_that_opens_to_the_same_key():
    material = generate_key_material()
    vault = KeyVault(PASSPHRASE)

    sealed = vault.seal(material)
    opened = vault.open(material.kid, sealed, material.public_jwk)

    assert is_sealed(sealed)
    assert "BEGIN PRIVATE KEY" not in sealed
    assert material.private_key_pem.splitlines()[1] not in sealed
    token = jwt.encode({"sub": "x"}, opened.private_key(), algorithm=ALGORITHM)
    public = material.private_key().public_key()
    assert jwt.decode(token, public, algorithms=[ALGORITHM]) == {"sub": "x"}


def test_a_key_sealed_with_another_passphrase_does_not_open():
    material = generate_key_material()
    sealed = KeyVault(b"the passphrase it had before").seal(material)

    with pytest.raises(SigningKeyUnavailable, match="another passphrase"):
        KeyVault(PASSPHRASE).open(material.kid, sealed, material.public_jwk)


def test_an_unencrypted_stored_key_is_refused_not_used():
    material = generate_key_material()

    assert not is_sealed(material.private_key_pem)
    with pytest.raises(SigningKeyUnavailable, match="unencrypted"):
        KeyVault(PASSPHRASE).open(material.kid, material.private_key_pem, material.public_jwk)


def test_a_short_passphrase_is_refused():
    with pytest.raises(SigningKeyUnavailable, match="at least 16"):
        KeyVault(b"too short")


def test_subkeys_differ_by_purpose_and_passphrase():
    vault = KeyVault(PASSPHRASE)
    assert vault.subkey("login failures") == KeyVault(PASSPHRASE).subkey("login failures")
    assert vault.subkey("login failures") != vault.subkey("something else")
    assert vault.subkey("login failures") != KeyVault(b"x" * 20).subkey("login failures")
    assert PASSPHRASE.decode() not in repr(vault)


def test_settings_without_a_passphrase_refuse_with_one_sentence(monkeypatch):
    monkeypatch.delenv("MILLBOOK_SIGNING_KEY_PASSPHRASE", raising=False)
    monkeypatch.delenv("MILLBOOK_SIGNING_KEY_PASSPHRASE_FILE", raising=False)

    with pytest.raises(SigningKeyUnavailable) as refused:
        build_app(Settings(database_url=URL))

    assert str(refused.value) == MISSING_PASSPHRASE
    assert "MILLBOOK_SIGNING_KEY_PASSPHRASE" in MISSING_PASSPHRASE
    assert "\n" not in MISSING_PASSPHRASE


def test_the_passphrase_may_come_from_a_file_but_the_variable_wins(tmp_path):
    path = tmp_path / "passphrase"
    path.write_text("from the file, long enough\n")

    from_file = Settings(database_url=URL, signing_key_passphrase_file=path)
    both = Settings(
        database_url=URL,
        signing_key_passphrase_file=path,
        signing_key_passphrase="from the variable, long enough",
    )

    assert from_file.key_vault().passphrase == b"from the file, long enough"
    assert both.key_vault().passphrase == b"from the variable, long enough"


def test_an_unreadable_passphrase_file_is_named(tmp_path):
    settings = Settings(database_url=URL, signing_key_passphrase_file=tmp_path / "missing")

    with pytest.raises(SigningKeyUnavailable, match="cannot be read"):
        settings.key_vault()
