"""docker-compose.yml validates against the Compose Specification, and everything it names
exists: build contexts, Dockerfiles, bind-mounted files, and every ${VAR} in .env.example."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
jsonschema = pytest.importorskip("jsonschema")

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared" / "schemas" / "compose-spec.json"
VAR = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?+][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def _interpolate_defaults(value: str) -> str:
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)


def test_compose_matches_the_spec(compose):
    if not SCHEMA.exists():
        pytest.skip("../shared/schemas/compose-spec.json is not present next to the repository")
    jsonschema.validate(compose, json.loads(SCHEMA.read_text()))


def test_required_services(compose):
    services = compose["services"]
    for name in (
        "postgres",
        "redis",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
        "mailpit",
        "metabase",
        "metabase-init",
    ):
        assert name in services, name
    assert services["airflow-worker"]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"


def test_named_files_exist(compose):
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            context = REPO / build["context"]
            assert context.is_dir(), f"{name}: build context {context}"
            assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
        for volume in service.get("volumes", []):
            source = _interpolate_defaults(volume.split(":", 1)[0])
            if source.startswith("."):
                assert (REPO / source).exists(), f"{name}: {source}"
    init = REPO / "deploy" / "postgres-init"
    for script in init.glob("*.sh"):
        for ref in re.findall(r"/docker-entrypoint-initdb\.d/(\S+)", script.read_text()):
            assert (init / ref).is_file(), ref
    assert (REPO / "deploy" / "airflow" / "init.sh").is_file()


def test_env_vars_in_env_example():
    text = (REPO / "docker-compose.yml").read_text()
    example = (REPO / ".env.example").read_text()
    defined = set(re.findall(r"^([A-Z0-9_]+)=", example, flags=re.M))
    used = set(VAR.findall(text))
    assert used and used <= defined, sorted(used - defined)


def test_no_secrets_in_compose():
    text = (REPO / "docker-compose.yml").read_text()
    assert not re.search(r"(PASSWORD|SECRET|KEY)\s*:\s*(?!\$\{)['\"]?\w", text, flags=re.I)


def _airflow_services(compose) -> dict:
    return {n: s for n, s in compose["services"].items() if n.startswith("airflow-")}


def test_airflow_ui_uses_fab_users_with_the_admin_password_from_env(compose):
    """No development-only SimpleAuthManager with admin:admin: the FAB auth manager, and an
    administrator whose password is set from .env by airflow-init."""
    text = (REPO / "docker-compose.yml").read_text()
    assert "SIMPLE_AUTH_MANAGER" not in text and "admin:admin" not in text
    for name, service in _airflow_services(compose).items():
        manager = service["environment"].get("AIRFLOW__CORE__AUTH_MANAGER", "")
        assert manager.endswith("fab_auth_manager.FabAuthManager"), name
    init_env = compose["services"]["airflow-init"]["environment"]
    assert re.fullmatch(r"\$\{AIRFLOW_ADMIN_PASSWORD:\?[^}]*\}", init_env["AIRFLOW_ADMIN_PASSWORD"])
    init = (REPO / "deploy" / "airflow" / "init.sh").read_text()
    assert "airflow users create" in init and '"${AIRFLOW_ADMIN_PASSWORD' in init
    assert "apache-airflow-providers-fab" in (REPO / "pyproject.toml").read_text()
    assert 'name = "apache-airflow-providers-fab"' in (REPO / "uv.lock").read_text()


def test_bi_and_street_roles_log_in_with_scram_passwords_from_env(compose):
    postgres = compose["services"]["postgres"]
    assert postgres["environment"]["POSTGRES_HOST_AUTH_METHOD"] == "scram-sha-256"
    assert "password_encryption=scram-sha-256" in postgres.get("command", [])
    for name, service in _airflow_services(compose).items():
        env = service["environment"]
        for var in ("PROJLEDGER_BI_PASSWORD", "PROJLEDGER_STREET_PASSWORD_KEY"):
            assert env.get(var, "").startswith("${" + var), (name, var)
