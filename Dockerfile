# Project Ledger: one image for every Airflow component (api-server, scheduler, dag-processor,
# triggerer, Celery workers) and the `projledger` CLI. Dependencies come from uv.lock only.
FROM python:3.11-slim

COPY --from=ghcr.io/astral-sh/uv:0.8 /uv /uvx /usr/local/bin/

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/projledger/.venv \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/projledger/.venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    PROJLEDGER_HOME=/var/lib/projledger

RUN groupadd --gid 50000 airflow \
    && useradd --uid 50000 --gid airflow --home-dir /opt/airflow --create-home airflow \
    && mkdir -p /opt/projledger /var/lib/projledger \
    && chown airflow:airflow /var/lib/projledger

WORKDIR /opt/projledger

# Dependencies first (cached while only the code changes), exactly as locked.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-install-project

COPY projledger ./projledger
COPY ingest ./ingest
COPY expectations ./expectations
COPY alerts ./alerts
COPY reports ./reports
COPY dbt_project ./dbt_project
COPY dags ./dags
RUN uv sync --frozen

# The Cosmos DAG is rendered from the compiled manifest: parse once at build time (dbt parse
# does not connect to the database).
RUN dbt parse --project-dir dbt_project --profiles-dir dbt_project \
    && chown -R airflow:airflow dbt_project

USER airflow
ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/projledger/dags \
    PROJLEDGER_DBT_DIR=/opt/projledger/dbt_project
