#!/usr/bin/env bash
# First start of the PostgreSQL container: the warehouse, Airflow's metadata and Metabase's
# application data as separate databases, each with its own owner. Passwords come from the
# environment (.env); nothing secret is written here.
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v projledger_pw="$PROJLEDGER_DB_PASSWORD" \
  -v airflow_pw="$AIRFLOW_DB_PASSWORD" \
  -v metabase_pw="$METABASE_DB_PASSWORD" \
  -f /docker-entrypoint-initdb.d/sql/databases.sql
