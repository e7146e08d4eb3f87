-- Quality checks and department alert digests.
-- quality.check_result: every validation result, appended per run (run_id); the view
-- quality.check_result_latest keeps the latest run of each night, so re-running a night
-- adds a run and never rewrites history.
-- alerts.*: every digest and its items are recorded before delivery is attempted, so an
-- alert is never lost (a failed send is retried the next night) and never sent twice
-- (one alert per run_date and owner).

create schema if not exists quality;

create table quality.check_run (
    run_id     bigint generated always as identity primary key,
    run_date   date        not null,
    started_at timestamptz not null default clock_timestamp(),
    n_checks   integer,
    n_failed   integer
);
create index check_run_date_ix on quality.check_run (run_date, run_id);

create table quality.check_result (
    check_result_id bigint generated always as identity primary key,
    run_id       bigint      not null references quality.check_run (run_id),
    run_date     date        not null,
    check_name   text        not null,
    suite        text        not null,
    success      boolean     not null,
    evaluated    bigint,
    unexpected   bigint,
    failing_keys jsonb       not null default '[]'::jsonb,
    error        text,
    checked_at   timestamptz not null default clock_timestamp(),
    unique (run_id, check_name)
);
create index check_result_night_ix on quality.check_result (run_date, check_name, run_id);

create view quality.check_result_latest as
select r.*
from quality.check_result as r
where r.run_id = (
    select max(k.run_id) from quality.check_run as k where k.run_date = r.run_date
);

create schema if not exists alerts;

create table alerts.alert (
    alert_id        bigint generated always as identity primary key,
    run_date        date        not null,
    owner_dept      text        not null,
    owner_name      text,
    recipients      text[]      not null,
    cc              text[]      not null default '{}',
    escalated       boolean     not null default false,
    n_new           integer     not null default 0,
    n_open          integer     not null default 0,
    n_resolved      integer     not null default 0,
    n_reminder      integer     not null default 0,
    subject         text        not null,
    body_text       text        not null,
    body_html       text        not null,
    attachment_name text,
    attachment      bytea,
    message_id      text        not null,
    status          text        not null default 'pending'
        check (status in ('pending', 'sent', 'failed')),
    channel         text check (channel in ('smtp', 'outbox')),
    sent_at         timestamptz,
    created_at      timestamptz not null default clock_timestamp(),
    unique (run_date, owner_dept)
);

create table alerts.alert_item (
    alert_id    bigint  not null references alerts.alert (alert_id),
    item_kind   text    not null check (item_kind in ('gap', 'rejected_row', 'warning')),
    item_id     text    not null,
    state       text    not null check (state in ('new', 'open', 'resolved', 'reminder')),
    rule_id     text,
    opened_on   date,
    days_open   integer,
    escalated   boolean not null default false,
    project_code text,
    detail      jsonb,
    primary key (alert_id, item_kind, item_id)
);
create index alert_item_item_ix on alerts.alert_item (item_kind, item_id);

create table alerts.delivery_attempt (
    attempt_id   bigint generated always as identity primary key,
    alert_id     bigint      not null references alerts.alert (alert_id),
    run_date     date        not null,
    channel      text        not null check (channel in ('smtp', 'outbox')),
    success      boolean     not null,
    error        text,
    attempted_at timestamptz not null default clock_timestamp()
);
create index delivery_attempt_alert_ix on alerts.delivery_attempt (alert_id);

create table alerts.waiver (
    waiver_id  bigint generated always as identity primary key,
    owner      text,
    rule_id    text,
    item_id    text,
    until      date        not null,
    reason     text        not null,
    created_at timestamptz not null default clock_timestamp(),
    check (rule_id is not null or item_id is not null)
);
