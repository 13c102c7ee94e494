"""The local stack gives identity a signing-key passphrase without any configuration."""

import stat
from pathlib import Path

from millbook_identity.config import Settings
from millbook_stack.profiles import Profile
from millbook_stack.services import ensure_signing_key_passphrase, service_env


def stack_in(state_dir: Path) -> Profile:
    return Profile(
        name="test",
        state_dir=state_dir,
        pg_port=1,
        kafka_port=2,
        kafka_controller_port=3,
        service_ports={"identity": 4, "gateway": 5},
    )


def test_the_stack_generates_a_private_passphrase_once_and_keeps_it(tmp_path):
    profile = stack_in(tmp_path / "stack")

    path = ensure_signing_key_passphrase(profile)
    first = path.read_text()
    again = ensure_signing_key_passphrase(profile)

    assert again == path
    assert path.read_text() == first
    assert len(first.strip()) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_identity_gets_the_passphrase_file_not_the_secret_and_opens_a_vault(tmp_path):
    profile = stack_in(tmp_path / "stack")
    path = ensure_signing_key_passphrase(profile)

    env = service_env(profile, "identity")
    settings = Settings(
        database_url=env["MILLBOOK_DATABASE_URL"],
        signing_key_passphrase_file=env["MILLBOOK_SIGNING_KEY_PASSPHRASE_FILE"],
    )

    assert env["MILLBOOK_SIGNING_KEY_PASSPHRASE_FILE"] == str(path)
    assert path.read_text().strip() not in "".join(env.values())
    assert settings.key_vault().passphrase == path.read_text().strip().encode()
    assert "MILLBOOK_SIGNING_KEY_PASSPHRASE_FILE" not in service_env(profile, "sales")
