"""The CLI's answers when nothing needs starting or something is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from millbook_stack import cli
from millbook_stack.profiles import Profile

runner = CliRunner()


@pytest.fixture
def idle_profile(monkeypatch, tmp_path: Path) -> Profile:
    """A profile whose stack is not running, whatever runs on this machine."""
    profile = Profile("dev", tmp_path, pg_port=1, kafka_port=2, kafka_controller_port=3)
    monkeypatch.setattr(cli, "profile_named", lambda _name: profile)
    return profile


def test_up_names_each_missing_prerequisite_and_exits_1(monkeypatch, idle_profile):
    monkeypatch.setattr(
        cli.prereqs,
        "problems",
        lambda _profile, infra_only=False: [
            "Java 17+ is needed to run Kafka: apt-get install openjdk-17-jre-headless",
            "Port 8000 (gateway) is already in use by another program: stop that program, "
            "or use another profile (--profile test)",
        ],
    )
    result = runner.invoke(cli.app, ["up"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "apt-get install openjdk-17-jre-headless" in result.output
    assert "Port 8000 (gateway) is already in use" in result.output
    assert not idle_profile.pid_file.exists(), "nothing was started"


def test_down_when_nothing_runs_says_so(idle_profile):
    result = runner.invoke(cli.app, ["down"])
    assert result.exit_code == 0
    assert "not running" in result.output


def test_status_when_nothing_runs_says_so(idle_profile):
    result = runner.invoke(cli.app, ["status"])
    assert result.exit_code == 0
    assert "not running" in result.output


def test_logs_rejects_unknown_names_and_tails_known_ones(idle_profile):
    result = runner.invoke(cli.app, ["logs", "nope"])
    assert result.exit_code == 1
    assert "choose one of" in result.output
    idle_profile.logs_dir.mkdir(parents=True)
    idle_profile.log_file("kafka").write_text("".join(f"line {n}\n" for n in range(100)))
    result = runner.invoke(cli.app, ["logs", "kafka", "-n", "3"])
    assert result.exit_code == 0
    assert result.output.splitlines() == ["line 97", "line 98", "line 99"]


def test_reset_asks_first_and_keeps_state_on_no(idle_profile):
    (idle_profile.state_dir / "keep.txt").write_text("x")
    result = runner.invoke(cli.app, ["reset"], input="n\n")
    assert result.exit_code == 1
    assert (idle_profile.state_dir / "keep.txt").exists()
    result = runner.invoke(cli.app, ["reset", "--yes"])
    assert result.exit_code == 0
    assert not idle_profile.state_dir.exists()
