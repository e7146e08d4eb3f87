-- The open episodes of alert items after a night, saved when the night's digests are recorded.
--
-- An open item is listed in every digest its owner gets, so alerts.alert_item holds it once a
-- night: a year of 6,000 open items is 2.2M listings, and summing every one of them to find
-- what is open took 14 s a night, growing by the night. A night now sums the episodes saved
-- after the latest night before it, and only the listings recorded since (alerts/lifecycle.py).
--
-- A saved night counts the alerts it summed (n_alerts, max_alert_id). An alert recorded later
-- for that night or an earlier one (a night re-run after later nights, with news it did not
-- have) changes the count, and the saved night is passed over for an older one that still
-- holds; with none, every listing is summed, as before. These are a cache of what the alerts
-- say: deleting them changes no digest.
create table alerts.episode_night (
    run_date     date   primary key,
    n_alerts     bigint not null,
    max_alert_id bigint not null
);

create table alerts.episode (
    run_date      date    not null references alerts.episode_night (run_date) on delete cascade,
    owner_dept    text    not null,
    item_kind     text    not null,
    item_id       text    not null,
    first_sent    date    not null,
    last_news     date,
    escalated     boolean not null,
    last_alert_id bigint  not null,
    primary key (run_date, owner_dept, item_kind, item_id)
);
