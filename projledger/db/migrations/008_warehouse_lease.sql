-- The warehouse lease: one holder at a time rebuilds the warehouse, across processes. A step
-- of `projledger run` holds an advisory lock for its duration; an Airflow night spreads its
-- dbt build over many tasks (processes), so it takes this lease in a task before them and
-- gives it back in a teardown task. A lease whose holder died expires.
create table ledger.warehouse_lease (
    singleton boolean primary key default true check (singleton),
    token text not null,
    holder text not null,
    taken_at timestamptz not null default now(),
    expires_at timestamptz not null
);
comment on table ledger.warehouse_lease is '仓库租约:同一时间只有一个夜间任务重建数据仓库';
