import base64

import pytest

from millbook_platform.sealing import (
    SealedTextError,
    SealingKeyError,
    generate_key_pair,
    open_sealed,
    public_key_of,
    seal,
)


def test_only_the_private_key_of_the_recipient_opens_a_sealed_text():
    inbox, other = generate_key_pair(), generate_key_pair()

    sealed = seal("reset-token-123", inbox.public_key)

    assert "reset-token-123" not in sealed
    assert open_sealed(sealed, inbox.private_key) == "reset-token-123"
    with pytest.raises(SealedTextError):
        open_sealed(sealed, other.private_key)


def test_sealing_twice_gives_two_different_texts():
    keys = generate_key_pair()
    assert seal("same", keys.public_key) != seal("same", keys.public_key)


def test_the_public_half_is_derived_from_the_private_one():
    keys = generate_key_pair()
    assert public_key_of(keys.private_key) == keys.public_key


def test_a_damaged_sealed_text_is_refused_clearly():
    keys = generate_key_pair()
    sealed = bytearray(base64.b64decode(seal("x", keys.public_key)))
    sealed[-1] ^= 1
    with pytest.raises(SealedTextError):
        open_sealed(base64.b64encode(bytes(sealed)).decode(), keys.private_key)
    with pytest.raises(SealedTextError):
        open_sealed("not base64 at all!", keys.private_key)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "is not set"),
        ("  ", "is not set"),
        ("%%%%", "not valid base64"),
        (base64.b64encode(b"short").decode(), "must be 32 bytes"),
    ],
)
def test_a_missing_or_malformed_key_names_the_setting(key, message):
    with pytest.raises(SealingKeyError, match=message) as raised:
        seal("x", key, setting="MILLBOOK_INBOX_SEAL_PUBLIC_KEY")
    assert "MILLBOOK_INBOX_SEAL_PUBLIC_KEY" in str(raised.value)
