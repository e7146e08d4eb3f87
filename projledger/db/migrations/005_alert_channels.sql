-- Group-robot channels (企业微信 / 钉钉) beside the mail of each digest.
-- alerts.robot_message: the Markdown summary of one digest for its owner's group robot, recorded
-- before it is sent. Its status is the sending protocol: 'sending' is written (committed) before
-- the request and replaced by the outcome after the answer, so a crash in between leaves
-- 'sending', which the next run turns into 'unconfirmed' and never sends again (a robot has no
-- message id to drop a duplicate; an unconfirmed message is at most lost, never doubled).
-- 'pending' and 'failed' (the robot refused it, was rate limited or unreachable) are retried.
-- The webhook's key or token is a secret: only the host and a fingerprint are recorded.

create table alerts.robot_message (
    alert_id        bigint      primary key references alerts.alert (alert_id),
    run_date        date        not null,
    owner_dept      text        not null,
    channel         text        not null check (channel in ('wecom', 'dingtalk')),
    robot           text        not null,
    title           text        not null,
    body_markdown   text        not null,
    n_items_listed  integer     not null default 0,
    n_items_left    integer     not null default 0,
    status          text        not null default 'pending'
        check (status in ('pending', 'sending', 'sent', 'failed', 'unconfirmed')),
    sending_since   timestamptz,
    sent_at         timestamptz,
    created_at      timestamptz not null default clock_timestamp()
);
create index robot_message_unsent_ix on alerts.robot_message (status, run_date)
    where status <> 'sent';

alter table alerts.delivery_attempt
    drop constraint delivery_attempt_channel_check,
    add constraint delivery_attempt_channel_check
        check (channel in ('smtp', 'outbox', 'wecom', 'dingtalk'));
