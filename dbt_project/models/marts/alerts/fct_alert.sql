{# Alerts to departments (部门预警摘要): one row per digest recorded for a night and owner and
   per channel it went out on: the mail (smtp / outbox) and, for owners with a group robot, the
   robot's Markdown summary (wecom / dingtalk) sharing the digest's alert_id. A view, so an
   alert delivered after the night's dbt build (the digests run after it, and a failed send is
   retried the next night) shows at once. #}
with

alerts as (
    select * from {{ source('alerts', 'alert') }}
),

robot_messages as (
    select * from {{ source('alerts', 'robot_message') }}
),

attempts as (
    select
        delivery_attempt.alert_id,
        delivery_attempt.channel in ('wecom', 'dingtalk') as is_robot,
        count(*) as n_attempts,
        max(delivery_attempt.error) filter (where not delivery_attempt.success) as last_error
    from {{ source('alerts', 'delivery_attempt') }} as delivery_attempt
    group by delivery_attempt.alert_id, delivery_attempt.channel in ('wecom', 'dingtalk')
),

mails as (
    select
        alerts.alert_id,
        alerts.run_date,
        alerts.owner_dept,
        alerts.owner_name,
        array_to_string(alerts.recipients, ', ') as recipients,
        array_to_string(alerts.cc, ', ') as cc,
        alerts.escalated,
        alerts.n_new,
        alerts.n_open,
        alerts.n_resolved,
        alerts.n_reminder,
        alerts.channel,
        alerts.status,
        alerts.sent_at,
        alerts.subject,
        coalesce(attempts.n_attempts, 0) as n_attempts,
        attempts.last_error
    from alerts
    left join attempts
        on
            alerts.alert_id = attempts.alert_id
            and not attempts.is_robot
),

robots as (
    select
        alerts.alert_id,
        alerts.run_date,
        alerts.owner_dept,
        alerts.owner_name,
        robot_messages.robot as recipients,
        '' as cc,
        alerts.escalated,
        alerts.n_new,
        alerts.n_open,
        alerts.n_resolved,
        alerts.n_reminder,
        robot_messages.channel,
        robot_messages.status,
        robot_messages.sent_at,
        robot_messages.title as subject,
        coalesce(attempts.n_attempts, 0) as n_attempts,
        attempts.last_error
    from robot_messages
    inner join alerts on robot_messages.alert_id = alerts.alert_id
    left join attempts
        on
            robot_messages.alert_id = attempts.alert_id
            and attempts.is_robot
),

final as (
    select * from mails
    union all
    select * from robots
)

select * from final
