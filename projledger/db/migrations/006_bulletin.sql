-- The monthly bulletin (月度通报): one row per issued bulletin (month, as_of), written by the
-- reports package after the files are rendered and before the mail is sent; status and sent_at
-- change once the mail has gone. Re-issuing the same month and as_of updates the row (the
-- rendered bytes are the same) and never sends it twice once sent.

create schema if not exists reports;

create table reports.bulletin (
    month        date        not null check (month = date_trunc('month', month)::date),
    as_of        date        not null,
    html_path    text        not null,
    pdf_path     text        not null,
    html_sha256  text        not null,
    pdf_sha256   text        not null,
    recipients   text[]      not null default '{}',
    channel      text        check (channel in ('smtp', 'outbox')),
    status       text        not null default 'rendered'
                             check (status in ('rendered', 'sent', 'failed')),
    error        text,
    rendered_at  timestamptz not null default clock_timestamp(),
    sent_at      timestamptz,
    primary key (month, as_of)
);
