"""A single-node KRaft Kafka broker run from jars fetched off Maven Central."""

from __future__ import annotations

import asyncio
import fcntl
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from millbook_contracts.topics import ALL_TOPICS, TOPIC_CONFIG
from millbook_stack.processes import ShouldStop, StepFailed, run_step
from millbook_stack.profiles import Profile, find_repo_root

COMPLETE_MARKER = "download-complete"
BROKER_JVM_FLAGS = (
    "-server",
    "-Xmx512m",
    "-Xms512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
)
TOOL_JVM_FLAGS = ("-Xmx256m", "-Djava.awt.headless=true")


def kafka_dir() -> Path:
    """deploy/kafka: the pom and the log4j2 configuration."""
    return find_repo_root() / "deploy" / "kafka"


def kafka_version() -> str:
    """The version pinned in deploy/kafka/pom.xml, the single place to change it."""
    pom = (kafka_dir() / "pom.xml").read_text()
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom)
    if match is None:
        raise RuntimeError("deploy/kafka/pom.xml has no <kafka.version>")
    return match.group(1).strip()


def cache_dir() -> Path:
    """Shared by all profiles: the jars only change with the version."""
    return find_repo_root() / ".millbook" / f"kafka-{kafka_version()}"


def libs_dir() -> Path:
    return cache_dir() / "libs"


def libs_ready() -> bool:
    return (cache_dir() / COMPLETE_MARKER).is_file()


@contextmanager
def _cache_lock() -> Iterator[None]:
    """Two profiles booting at once must not download into the same folder."""
    cache_dir().mkdir(parents=True, exist_ok=True)
    with (cache_dir() / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def fetch_libs(log: Path, should_stop: ShouldStop) -> None:
    """Copy the broker's runtime classpath from Maven Central, once per version."""
    with _cache_lock():
        if libs_ready():
            return
        # No marker means a previous download was cut short: start clean.
        shutil.rmtree(libs_dir(), ignore_errors=True)
        command = [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(kafka_dir() / "pom.xml"),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs_dir()}",
            "-DincludeScope=runtime",
        ]
        run_step(command, log, should_stop)
        check_single_slf4j(libs_dir())
        (cache_dir() / COMPLETE_MARKER).write_text(kafka_version() + "\n")


def check_single_slf4j(libs: Path) -> None:
    """Two slf4j-api versions on one classpath make logging pick one at random."""
    found = sorted(p.name for p in libs.glob("slf4j-api-*.jar"))
    if len(found) != 1:
        raise StepFailed(f"expected exactly one slf4j-api jar in {libs}, found {found}")


def config_file(profile: Profile) -> Path:
    return profile.state_dir / "kafka" / "server.properties"


def data_dir(profile: Profile) -> Path:
    return profile.state_dir / "kafka" / "data"


def render_server_properties(profile: Profile) -> str:
    host = "127.0.0.1"
    port, controller = profile.kafka_port, profile.kafka_controller_port
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"{host}:{controller}",
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir(profile)),
        "num.partitions": "3",
        # Topics come from millbook_contracts only; a typo must fail, not create one.
        "auto.create.topics.enable": "false",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Otherwise every first consumer-group join waits about 3 s.
        "group.initial.rebalance.delay.ms": "0",
    }
    lines = [f"{key}={value}" for key, value in settings.items()]
    return "# Written by millbook_stack; edits are overwritten.\n" + "\n".join(lines) + "\n"


def write_server_properties(profile: Profile) -> Path:
    path = config_file(profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_server_properties(profile))
    return path


def is_formatted(profile: Profile) -> bool:
    return (data_dir(profile) / "meta.properties").is_file()


def _java_command(profile: Profile, jvm_flags: tuple[str, ...], main_class: str) -> list[str]:
    return [
        "java",
        *jvm_flags,
        f"-Dlog4j2.configurationFile={kafka_dir() / 'log4j2.properties'}",
        f"-Dkafka.logs.dir={profile.logs_dir}",
        "-cp",
        f"{libs_dir()}/*",
        main_class,
    ]


def format_storage(profile: Profile, log: Path, should_stop: ShouldStop) -> None:
    """KRaft needs a formatted log dir with a cluster id before the first start."""
    if is_formatted(profile):
        return
    tool = _java_command(profile, TOOL_JVM_FLAGS, "kafka.tools.StorageTool")
    cluster_id = (
        subprocess.run(  # noqa: S603 - argv is built by this package
            [*tool, "random-uuid"], capture_output=True, text=True, check=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    command = [*tool, "format", "--standalone", "-t", cluster_id, "-c", str(config_file(profile))]
    run_step(command, log, should_stop)


def broker_command(profile: Profile) -> list[str]:
    return [*_java_command(profile, BROKER_JVM_FLAGS, "kafka.Kafka"), str(config_file(profile))]


def bootstrap(profile: Profile) -> str:
    return f"127.0.0.1:{profile.kafka_port}"


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


async def _list_topics(servers: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=5000)
    try:
        await asyncio.wait_for(admin.start(), timeout=5)
        return await asyncio.wait_for(admin.list_topics(), timeout=5)
    finally:
        await admin.close()


def answers_admin(profile: Profile) -> bool:
    """Ready means the admin API answers, not merely that the port is bound."""
    if not port_open(profile.kafka_port):
        return False
    try:
        asyncio.run(_list_topics(bootstrap(profile)))
        return True
    except Exception:  # aiokafka raises many kinds while the broker boots
        return False


def wanted_topics() -> list[NewTopic]:
    """Every contract topic and its dead-letter topic, all kept forever."""
    topics = []
    for topic in ALL_TOPICS:
        topics.append(NewTopic(topic.name, topic.partitions, 1, topic_configs=TOPIC_CONFIG))
        topics.append(NewTopic(topic.dlq, 1, 1, topic_configs=TOPIC_CONFIG))
    return topics


async def _create_missing_topics(servers: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=30000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted_topics() if t.name not in existing]
        if missing:
            response = await admin.create_topics(missing, timeout_ms=30000)
            _raise_on_topic_errors(response)
        return [t.name for t in missing]
    finally:
        await admin.close()


def _raise_on_topic_errors(response: object) -> None:
    # Error code 36 is TOPIC_ALREADY_EXISTS: a concurrent creator won, which is fine.
    errors = getattr(response, "topic_errors", [])
    failed = [(entry[0], entry[1]) for entry in errors if entry[1] not in (0, 36)]
    if failed:
        raise StepFailed(f"could not create Kafka topics: {failed}")


def ensure_topics(profile: Profile) -> list[str]:
    """Create the missing topics; returns the names created."""
    return create_topics_on(bootstrap(profile))


def create_topics_on(servers: str) -> list[str]:
    """Create the missing topics on any broker (the compose stack uses this)."""
    return asyncio.run(_create_missing_topics(servers))
