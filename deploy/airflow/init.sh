#!/usr/bin/env bash
# One-off start-up job of the stack (service airflow-init): Airflow's metadata schema, the pool
# that protects the warehouse database, and the warehouse's schema and read-only roles.
set -euo pipefail

airflow db migrate
airflow pools set projledger_db "${PROJLEDGER_POOL_SLOTS:-4}" \
  "Tasks of Project Ledger that hold a warehouse connection"
# Applies the event-store migrations and creates the BI role Metabase connects with.
projledger db roles
