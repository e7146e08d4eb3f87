#!/usr/bin/env bash
# One-off start-up job of the stack (service airflow-init): Airflow's metadata schema, the pool
# that protects the warehouse database, and the warehouse's schema and read-only roles.
set -euo pipefail

airflow db migrate
# The FAB auth manager's users and roles; the administrator's password comes from .env and is
# set again on every start, so changing it in .env and restarting is a password change.
airflow fab-db migrate
airflow users create --username "${AIRFLOW_ADMIN_USER:-admin}" --role Admin \
  --firstname Data --lastname Team --email "${AIRFLOW_ADMIN_EMAIL}" \
  --password "${AIRFLOW_ADMIN_PASSWORD:?AIRFLOW_ADMIN_PASSWORD must be set in .env}" || true
airflow users reset-password --username "${AIRFLOW_ADMIN_USER:-admin}" \
  --password "${AIRFLOW_ADMIN_PASSWORD}"
airflow pools set projledger_db "${PROJLEDGER_POOL_SLOTS:-4}" \
  "Tasks of Project Ledger that hold a warehouse connection"
# Applies the event-store migrations and creates the BI role Metabase connects with and the
# street roles, each with its scram-sha-256 password.
projledger db roles
