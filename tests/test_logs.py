"""The log file beside the store: where it is, what reaches it, and what never does."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cutover.actions.wiring.logs import configure, log_path
from cutover.console.cli import cli
from cutover.providers.redaction import remember_secret

ROOT = Path(__file__).parent.parent
SECRET = "log-secret-Vb82-never-shown"


def test_the_log_file_sits_beside_the_store_and_hides_secrets(tmp_path: Path, restore_logging: None) -> None:
    path = configure(tmp_path / "night.db", level="info", command="flip", terminal=False)
    assert path == tmp_path / "night.log" == log_path(tmp_path / "night.db")
    remember_secret(SECRET)
    logging.getLogger("botocore.endpoint").warning("echoed back: Authorization: Bearer %s", SECRET)
    try:
        raise RuntimeError(f"a library failed holding {SECRET}")
    except RuntimeError:
        logging.getLogger("cutover.actions.engine.engine").exception("engine stopped leading on an error")
    logging.getLogger("botocore.endpoint").info("a noisy library's chatter")  # held at WARNING
    text = path.read_text()
    assert f"WARNING flip[{os.getpid()}] botocore.endpoint: echoed back" in text
    assert "ERROR flip[" in text and "RuntimeError: a library failed holding [redacted]" in text
    assert SECRET not in text and "chatter" not in text


def test_help_says_where_the_log_is_and_levels_are_chosen(tmp_path: Path, restore_logging: None) -> None:
    shown = CliRunner().invoke(cli, ["--help"]).output
    assert "rotating log file beside its store" in shown and "cutover.db -> cutover.log" in shown
    assert "--log-level" in shown and "-v, --verbose" in shown
    env = {"CUTOVER_STATE__PATH": str(tmp_path / "s.db")}
    CliRunner().invoke(cli, ["--log-level", "warning", "status"], env=env)
    assert logging.getLogger().level == logging.WARNING
    CliRunner().invoke(cli, ["-v", "status"], env=env)
    assert logging.getLogger().level == logging.DEBUG


@pytest.mark.slow  # a whole process's stderr
def test_an_expired_aws_sso_session_prints_one_remedy_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".aws" / "sso" / "cache").mkdir(parents=True)
    (home / ".aws" / "config").write_text(
        "[profile night]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Migration\n"
        "region = us-east-1\n\n[sso-session corp]\n"
        "sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
    )
    cache = home / ".aws" / "sso" / "cache" / f"{hashlib.sha1(b'corp').hexdigest()}.json"
    cache.write_text(
        json.dumps(
            {
                "startUrl": "https://corp.awsapps.com/start",
                "region": "us-east-1",
                "accessToken": "expired-sso-token-value",
                "expiresAt": "2024-01-01T00:00:00Z",
            }
        )
    )
    config = tmp_path / "cutover.toml"
    config.write_text(
        '[state]\npath = "cutover.db"\n[providers.dns]\nkind = "route53"\n'
        'zones = { "tenants.example.com" = "Z0123456789ABCDEFGHIJ" }\n[providers.dns.aws]\nprofile = "night"\n'
    )
    matrix = ROOT / "tests" / "data" / "runbook_matrix.csv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CUTOVER_"))}
    env |= {"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true", "PYTHONPATH": str(ROOT)}
    env |= {"CUTOVER_CONFIG": str(config)}
    run = [sys.executable, "-m", "cutover"]
    assert subprocess.run([*run, "import", str(matrix)], env=env, capture_output=True, timeout=60).returncode == 0
    gate = subprocess.run([*run, "gate", "T-0001"], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "run `aws sso login --profile night`" in gate.stderr, gate.stderr
    assert "Traceback" not in gate.stderr and "Refreshing temporary credentials" not in gate.stderr
    remedy_lines = [line for line in gate.stderr.splitlines() if "aws sso login" in line]
    assert len(remedy_lines) == 1, gate.stderr
    assert "Traceback" in (tmp_path / "cutover.log").read_text()  # the library's details are in the log file
