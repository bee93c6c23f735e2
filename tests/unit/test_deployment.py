"""The deployment artifacts (Dockerfile, docker-compose.yml, docs/production.md) against the code.

No container engine is needed: the compose file is read as YAML, the Dockerfile as text, the
image's health check is run against a local server, and every command and variable the
runbook tells an operator to use is checked against the real parser and settings. A drift
here means an operator following the runbook gets an error at 2 a.m.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from sqlalchemy.engine import make_url

from bot.cli import build_parser
from bot.db import migrate
from bot.settings import DEFAULT_CONFIG_DIR, Settings
from bot.texts.id import COMMANDS_MENU
from bot.web.app import WEBHOOK_MAX_CONNECTIONS
from bot.web.webhook import WEBHOOK_PATH

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
RUNBOOK = (ROOT / "docs" / "production.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / "config" / ".env.example").read_text(encoding="utf-8")
SARING_VARIABLE = re.compile(r"\bSARING_[A-Z_]+[A-Z]\b")
DUMMY_ENV = {"POSTGRES_PASSWORD": "dummy_Password-1"}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose-style ${VAR}, ${VAR:-default} and ${VAR:?message} substitution."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if name in env:
            return env[name]
        if op == ":?":
            raise KeyError(f"{name}: {arg}")
        return arg or ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", substitute, value)


def service(name: str) -> dict[str, Any]:
    return COMPOSE["services"][name]


def dockerfile_instruction(keyword: str) -> str:
    """The last instruction with this keyword, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    lines = [line for line in joined.splitlines() if line.startswith(keyword + " ")]
    assert lines, f"Dockerfile has no {keyword}"
    return lines[-1][len(keyword) + 1 :].strip()


# --- docker-compose.yml ----------------------------------------------------------------------


def test_when_compose_starts_then_db_migrate_and_bot_come_up_in_that_order() -> None:
    assert service("migrate")["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert service("bot")["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"}
    }
    assert service("migrate")["command"] == ["saring", "db", "upgrade"]
    assert service("migrate")["restart"] == "no"  # a one-shot, never restarted in a loop
    assert service("bot")["command"] == ["saring", "run", "--webhook"]
    assert service("bot")["restart"] == "unless-stopped"


def test_when_postgres_runs_then_it_has_a_readiness_check_and_a_named_volume() -> None:
    db = service("db")
    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in db["healthcheck"]["test"]
    volume = db["volumes"][0].split(":")[0]
    assert volume in COMPOSE["volumes"], "the data must live in a named volume"
    assert "ports" not in db, "the database is not published outside the compose network"


def test_when_the_bot_runs_then_it_talks_to_the_compose_database_with_the_right_driver() -> None:
    for name in ("migrate", "bot"):
        environment = service(name)["environment"]
        url = make_url(interpolate(environment["SARING_DATABASE_URL"], DUMMY_ENV))
        assert (url.drivername, url.host, url.database) == ("postgresql+asyncpg", "db", "saring")
        assert url.password == DUMMY_ENV["POSTGRES_PASSWORD"]
        assert service(name)["env_file"] == ".env"
        Settings(database_url=url.render_as_string(hide_password=False))  # accepted as is


def test_when_the_password_is_missing_then_compose_refuses_instead_of_using_an_empty_one() -> None:
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        interpolate(service("db")["environment"]["POSTGRES_PASSWORD"], {})


def test_when_env_copies_the_example_listen_address_then_compose_still_listens_on_all() -> None:
    # .env.example says 127.0.0.1:8080, which inside a container nobody could reach; the
    # compose `environment` wins over `env_file`, so it must set the listen address itself.
    listen = service("bot")["environment"]["SARING_LISTEN"]
    host, _, port = listen.rpartition(":")
    assert host == "0.0.0.0"
    published = service("bot")["ports"][0]
    assert published.rsplit(":", 1)[1] == port
    assert published.startswith("127.0.0.1:"), "plain HTTP only behind the TLS proxy"


def test_when_the_bot_is_checked_then_compose_probes_healthz_on_the_listen_port() -> None:
    probe = " ".join(service("bot")["healthcheck"]["test"])
    port = service("bot")["environment"]["SARING_LISTEN"].rpartition(":")[2]
    assert f"127.0.0.1:{port}/healthz" in probe


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("docker-compose.yml", COMPOSE_TEXT),  # what the operator's containers get
        ("Dockerfile", DOCKERFILE),  # image defaults
        ("docs/production.md", RUNBOOK),  # what the operator is told to set
    ],
)
def test_when_a_saring_variable_is_used_then_it_is_a_setting_documented_in_env_example(
    where: str, text: str
) -> None:
    known = {f"SARING_{name.upper()}" for name in Settings.model_fields}
    used = set(SARING_VARIABLE.findall(text))
    assert used, f"{where} uses no SARING_ variable at all"
    assert used <= known, f"{where}: not settings: {sorted(used - known)}"
    undocumented = {v for v in used if not re.search(rf"^{v}=", ENV_EXAMPLE, re.M)}
    assert not undocumented, f"{where}: not in config/.env.example: {sorted(undocumented)}"


# --- Dockerfile ------------------------------------------------------------------------------


def test_when_the_image_is_built_then_it_runs_the_webhook_as_a_non_root_user() -> None:
    assert dockerfile_instruction("FROM") == "python:3.11-slim"
    assert json.loads(dockerfile_instruction("CMD")) == ["saring", "run", "--webhook"]
    assert dockerfile_instruction("EXPOSE") == "8080"
    assert "SARING_LISTEN=0.0.0.0:8080" in dockerfile_instruction("ENV")
    user = dockerfile_instruction("USER")
    assert user not in ("root", "0")
    assert DOCKERFILE.index(f"USER {user}") > DOCKERFILE.rindex("RUN pip install")


def test_when_the_package_is_installed_then_config_and_migrations_stay_next_to_it() -> None:
    # settings and migrate look beside the bot/ package; only an editable install from the
    # copied checkout keeps config/ and alembic/ there (a wheel would lose them).
    assert DEFAULT_CONFIG_DIR == ROOT / "config"
    assert migrate.SCRIPT_LOCATION == ROOT / "alembic"
    code = "\n".join(line for line in DOCKERFILE.splitlines() if not line.startswith("#"))
    installs = re.findall(r"pip install[^&\n]*", code)
    assert installs and all(re.search(r"\s-e \.", line) for line in installs), installs
    assert "WORKDIR /app" in DOCKERFILE and "COPY . ." in DOCKERFILE


def test_when_the_build_context_is_sent_then_secrets_stay_out_and_the_code_goes_in() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(fnmatch.fnmatch(path, p) for p in patterns)

    for secret in (".env", ".venv", ".git"):
        assert ignored(secret), secret
    for needed in ("bot", "config", "alembic", "pyproject.toml", "README.md"):
        assert not ignored(needed), needed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def run_image_healthcheck(port: int) -> int:
    command = json.loads(dockerfile_instruction("HEALTHCHECK").split("CMD", 1)[1])
    assert command[0] == "python"
    process = await asyncio.create_subprocess_exec(
        sys.executable, *command[1:], env={"SARING_LISTEN": f"0.0.0.0:{port}"}
    )
    return await asyncio.wait_for(process.wait(), timeout=20)


@pytest.mark.parametrize(
    ("status", "healthy"),
    [
        (200, True),  # the process answers
        (503, False),  # it answers, but says it is not well
    ],
)
async def test_when_docker_runs_the_image_healthcheck_then_it_follows_healthz(
    status: int, healthy: bool
) -> None:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({}, status=status)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        assert (await run_image_healthcheck(port) == 0) is healthy
    finally:
        await runner.cleanup()


async def test_when_nothing_listens_then_the_image_healthcheck_fails() -> None:
    assert await run_image_healthcheck(free_port()) != 0


# --- docs/production.md ----------------------------------------------------------------------

SARING_COMMAND = re.compile(r"\bsaring ((?:run|check|sources|hoaxes|roster|db)\b[^`#\n]*)")


def runbook_commands() -> list[str]:
    return [match.strip() for match in SARING_COMMAND.findall(RUNBOOK)]


def test_when_the_runbook_names_a_saring_command_then_the_cli_accepts_it() -> None:
    commands = runbook_commands()
    assert len(commands) >= 8
    parser = build_parser()
    for command in commands:
        try:
            parser.parse_args(shlex.split(command))
        except SystemExit:
            pytest.fail(f"docs/production.md: `saring {command}` is not a valid command")


def test_when_the_runbook_describes_telegram_then_it_matches_the_code() -> None:
    assert WEBHOOK_PATH in RUNBOOK
    assert f"{WEBHOOK_MAX_CONNECTIONS} koneksi" in RUNBOOK
    registered = (ROOT / "bot" / "handlers" / "__init__.py").read_text(encoding="utf-8")
    for command in COMMANDS_MENU:  # the menu the bot publishes itself
        assert f"`/{command}`" in RUNBOOK, command
    for admin in re.findall(r"`/(sumber_\w+|hoaks_\w+|statistik)", RUNBOOK):
        assert f'"{admin}"' in registered, admin


# --- real compose CLI, where one is installed ----------------------------------------------


def compose_cli() -> list[str] | None:
    """`docker compose` (v2 plugin) or the standalone `docker-compose`; neither needs an engine."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    return [standalone] if standalone else None


@pytest.mark.skipif(
    compose_cli() is None and not os.environ.get("SARING_REQUIRE_COMPOSE"),
    reason="no docker compose CLI on this machine (CI installs one and requires it)",
)
@pytest.mark.parametrize(
    ("env", "valid"),
    [
        (ENV_EXAMPLE + "POSTGRES_PASSWORD=dummy\n", True),  # the runbook's .env
        (ENV_EXAMPLE, False),  # POSTGRES_PASSWORD forgotten: refused, not an empty password
    ],
)
def test_when_compose_validates_the_file_then_only_a_complete_env_passes(
    tmp_path: Path, env: str, valid: bool
) -> None:
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    (tmp_path / ".env").write_text(env, encoding="utf-8")
    cli = compose_cli()
    assert cli is not None
    result = subprocess.run(
        [*cli, "config", "--quiet"], cwd=tmp_path, capture_output=True, check=False
    )
    assert (result.returncode == 0) is valid, result.stderr.decode()
