"""Pure pieces of the stack runner: no process is started here."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from millbook_stack import demo, kafka, prereqs, profiles
from millbook_stack.postgres import admin_dsn, database_url, server_command
from millbook_stack.profiles import Profile, dev_profile, find_repo_root
from millbook_stack.services import default_specs, service_env
from millbook_stack.status import ProcessStatus, StackStatus, read_status, write_status
from millbook_stack.supervisor import Plan, backoff_delay, read_plan, write_plan

# Imported under another name: pytest would collect `test_profile` as a test.
the_test_profile = profiles.test_profile


def properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")
    return dict(pairs)


def test_repo_root_is_the_workspace():
    root = find_repo_root()
    assert (root / "deploy" / "pyproject.toml").is_file()
    assert "[tool.uv.workspace]" in (root / "pyproject.toml").read_text()


def test_every_fixed_port_is_below_the_kernels_ephemeral_range(monkeypatch):
    # A port inside ip_local_port_range can be taken at any moment as the source
    # port of an outgoing connection (or linger in TIME_WAIT), and then the
    # server cannot bind it: CI once failed on exactly that.
    monkeypatch.delenv("MILLBOOK_STATE_DIR", raising=False)
    ephemeral_floor = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    stacks = [dev_profile()]
    for slot in range(10):
        monkeypatch.setenv("MILLBOOK_TEST_SLOT", str(slot))
        stacks.append(the_test_profile())
    taken: dict[int, str] = {}
    for stack in stacks:
        for name, port in stack.all_ports().items():
            assert port < ephemeral_floor, f"{stack.name} {name} port {port}"
            owner = f"{stack.state_dir.name} {name}"
            assert taken.setdefault(port, owner) == owner, f"{owner} reuses {taken[port]}'s port"


def test_dev_and_test_profiles_do_not_share_ports_or_state(monkeypatch):
    monkeypatch.delenv("MILLBOOK_STATE_DIR", raising=False)
    dev, test = dev_profile(), the_test_profile()
    assert (dev.pg_port, dev.kafka_port, dev.kafka_controller_port) == (15432, 19092, 19093)
    assert (test.pg_port, test.kafka_port, test.kafka_controller_port) == (15442, 19192, 19193)
    assert dev.service_ports == {
        "gateway": 8000,
        "identity": 8001,
        "sales": 8002,
        "billing": 8003,
        "purchasing": 8004,
        "inbox": 8005,
        "analytics": 8006,
    }
    assert test.service_ports["gateway"] == 18000
    assert test.service_ports["analytics"] == 18006
    assert dev.durable
    assert not test.durable
    assert dev.state_dir == find_repo_root() / ".millbook" / "stack"
    assert test.state_dir == find_repo_root() / ".millbook" / "test"
    assert not set(dev.all_ports().values()) & set(test.all_ports().values())


def test_dev_state_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MILLBOOK_STATE_DIR", str(tmp_path))
    assert dev_profile().state_dir == tmp_path


def test_server_properties_bind_the_profile_ports_on_loopback():
    profile = the_test_profile()
    props = properties(kafka.render_server_properties(profile))
    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19192,CONTROLLER://127.0.0.1:19193"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19192"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19193"
    assert props["log.dirs"] == str(profile.state_dir / "kafka" / "data")
    assert props["auto.create.topics.enable"] == "false"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["num.partitions"] == "3"
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.replication.factor",
        "share.coordinator.state.topic.min.isr",
    ):
        assert props[key] == "1"
    # --standalone formatting refuses a static voter list.
    assert "controller.quorum.voters" not in props


def test_kafka_version_comes_from_the_pom():
    assert kafka.kafka_version().startswith("4.")
    assert kafka.cache_dir().name == f"kafka-{kafka.kafka_version()}"


def test_wanted_topics_are_contract_topics_and_their_dlqs():
    from millbook_contracts.topics import ALL_TOPICS

    topics = {t.name: t for t in kafka.wanted_topics()}
    assert len(topics) == 2 * len(ALL_TOPICS)
    assert topics["sales.order.dlq"].num_partitions == 1
    assert topics["sales.order"].topic_configs["retention.ms"] == "-1"


def test_only_the_test_profile_turns_durability_off():
    assert "fsync=off" in server_command(the_test_profile())
    assert "fsync=off" not in server_command(dev_profile())
    assert "listen_addresses=127.0.0.1" in server_command(dev_profile())


def test_urls_connect_as_the_service_role():
    profile = dev_profile()
    assert database_url(profile, "sales") == "postgresql+psycopg://sales@127.0.0.1:15432/sales"
    assert admin_dsn(profile) == "postgresql://postgres@127.0.0.1:15432/postgres"


def test_service_env_for_a_service_with_a_database():
    env = service_env(dev_profile(), "billing")
    assert env == {
        "MILLBOOK_SERVICE_NAME": "billing",
        "MILLBOOK_DATABASE_URL": "postgresql+psycopg://billing@127.0.0.1:15432/billing",
        "MILLBOOK_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:19092",
        "MILLBOOK_IDENTITY_URL": "http://127.0.0.1:8001",
        "MILLBOOK_INSTANCE_ID": "127.0.0.1:8003",
    }


def test_gateway_env_names_every_upstream_and_no_database():
    env = service_env(the_test_profile(), "gateway")
    assert "MILLBOOK_DATABASE_URL" not in env
    upstreams = json.loads(env["MILLBOOK_UPSTREAMS"])
    assert upstreams["identity"] == "http://127.0.0.1:18001"
    assert upstreams["analytics"] == "http://127.0.0.1:18006"
    assert "gateway" not in upstreams


def test_default_specs_keep_start_order_and_migrate_only_services_with_a_db():
    specs = default_specs(dev_profile())
    assert [s.name for s in specs] == list(profiles.SERVICES)
    assert specs[-1].name == "gateway"
    assert specs[-1].migrate is None
    assert specs[0].command[-5:] == ["--host", "127.0.0.1", "--port", "8001", "--no-access-log"]
    assert "millbook_identity.main:app" in specs[0].command
    assert specs[0].migrate is not None
    assert specs[0].migrate[-3:] == ["services/identity/alembic.ini", "upgrade", "heads"]
    with pytest.raises(ValueError, match="unknown service"):
        default_specs(dev_profile(), ["nope"])


def test_backoff_doubles_from_a_quarter_second_up_to_thirty():
    assert [backoff_delay(n) for n in range(1, 11)] == [0.25, 0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_status_file_round_trip(tmp_path: Path):
    path = tmp_path / "status.json"
    status = StackStatus(profile="dev", supervisor_pid=42, phase="supervising")
    status.processes = [
        ProcessStatus("postgres", "running", pid=7, port=15432, started_at=1.5),
        ProcessStatus("billing", "restarting", restarts=3, port=8003, detail="exited with 1"),
    ]
    write_status(path, status)
    assert read_status(path) == status
    assert not list(tmp_path.glob(".*tmp")), "the temporary file is renamed away"


def test_missing_or_torn_status_file_reads_as_none(tmp_path: Path):
    assert read_status(tmp_path / "absent.json") is None
    (tmp_path / "torn.json").write_text('{"profile": ')
    assert read_status(tmp_path / "torn.json") is None


def test_plan_round_trip(tmp_path: Path):
    profile = the_test_profile()
    plan = Plan(profile, default_specs(profile, ["identity", "gateway"]))
    write_plan(tmp_path / "plan.json", plan)
    assert read_plan(tmp_path / "plan.json") == plan


def test_java_version_parsing():
    assert prereqs.java_major('openjdk version "17.0.15" 2025-04-15') == 17
    assert prereqs.java_major('java version "1.8.0_392"') == 8
    assert prereqs.java_major('openjdk version "21" 2023-09-19') == 21
    assert prereqs.java_major("nothing") is None


def test_missing_programs_are_one_sentence_naming_the_fix(monkeypatch):
    monkeypatch.setattr(prereqs.shutil, "which", lambda _name: None)
    monkeypatch.setattr(prereqs.postgres, "find_program", lambda _name: None)
    monkeypatch.setattr(prereqs.kafka, "libs_ready", lambda: False)
    assert prereqs.check_java() == (
        "Java 17+ is needed to run Kafka: apt-get install openjdk-17-jre-headless"
    )
    assert prereqs.check_maven() == (
        "Maven is needed to download Kafka from Maven Central once: apt-get install maven"
    )
    message = prereqs.check_postgres()
    assert message is not None
    assert message.endswith("apt-get install postgresql")
    assert "initdb, postgres" in message


def test_old_java_is_reported_with_its_version(monkeypatch):
    class Result:
        stdout = ""
        stderr = 'java version "1.8.0_392"'

    monkeypatch.setattr(prereqs.subprocess, "run", lambda *a, **k: Result())
    monkeypatch.setattr(prereqs.shutil, "which", lambda _name: "/usr/bin/java")
    assert prereqs.check_java() == (
        "Java 17+ is needed to run Kafka: apt-get install openjdk-17-jre-headless (found Java 8)"
    )


def test_a_taken_port_is_named_with_its_owner(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        profile = Profile("dev", tmp_path, pg_port=port, kafka_port=1, kafka_controller_port=2)
        problems = prereqs.port_problems(profile, infra_only=True)
    assert problems == [
        f"Port {port} (postgres) is already in use by another program: stop that program, "
        "or use another profile (--profile test)"
    ]


def test_demo_credentials_are_generated_once_and_private(monkeypatch, tmp_path):
    monkeypatch.delenv("MILLBOOK_DEMO_EMAIL", raising=False)
    monkeypatch.delenv("MILLBOOK_DEMO_PASSWORD", raising=False)
    profile = Profile("dev", tmp_path, pg_port=1, kafka_port=2, kafka_controller_port=3)
    first = demo.demo_credentials(profile)
    assert first.email == "admin@millbook.example.com"
    assert len(first.password) >= 16
    assert stat.S_IMODE(demo.credentials_file(profile).stat().st_mode) == 0o600
    assert demo.demo_credentials(profile) == first


def test_demo_credentials_from_the_environment_win(monkeypatch, tmp_path):
    monkeypatch.setenv("MILLBOOK_DEMO_EMAIL", "me@example.org")
    monkeypatch.setenv("MILLBOOK_DEMO_PASSWORD", "s3cret-s3cret")
    profile = Profile("dev", tmp_path, pg_port=1, kafka_port=2, kafka_controller_port=3)
    assert demo.demo_credentials(profile) == demo.Credentials("me@example.org", "s3cret-s3cret")
    assert not demo.credentials_file(profile).exists()


def exited_child(tmp_path: Path):
    """A Child whose process has already exited with status 3."""
    import subprocess

    from millbook_stack.status import ProcessStatus
    from millbook_stack.supervisor import Child

    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait()
    child = Child(ProcessStatus("x", "running"), ["x"], tmp_path / "x.log", lambda: True)
    child.process = process
    return child


def test_a_crash_schedules_a_restart_with_growing_delay(tmp_path: Path):
    from millbook_stack.supervisor import STABLE_AFTER, Supervisor

    profile = Profile("unit", tmp_path, pg_port=1, kafka_port=2, kafka_controller_port=3)
    supervisor = Supervisor(Plan(profile, []))
    child = exited_child(tmp_path)
    now = 1000.0
    child.started_monotonic = now - 1
    delays = []
    for _ in range(3):
        supervisor.on_exit(child, now)
        delays.append(child.restart_at - now)
    assert delays == [0.25, 0.5, 1.0]
    assert child.status.state == "restarting"
    assert child.status.detail == "last exit: code 3"
    # After a minute up, the next crash counts as the first again.
    child.started_monotonic = now - STABLE_AFTER
    supervisor.on_exit(child, now)
    assert child.restart_at - now == 0.25
