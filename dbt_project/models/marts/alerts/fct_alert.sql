{# Alerts to departments (部门预警摘要): one row per digest recorded for a night and owner,
   with its delivery outcome. A view, so an alert delivered after the night's dbt build (the
   digests run after it, and a failed send is retried the next night) shows at once. #}
with

alerts as (
    select * from {{ source('alerts', 'alert') }}
),

attempts as (
    select
        delivery_attempt.alert_id,
        count(*) as n_attempts,
        max(delivery_attempt.error) filter (where not delivery_attempt.success) as last_error
    from {{ source('alerts', 'delivery_attempt') }} as delivery_attempt
    group by delivery_attempt.alert_id
),

final as (
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
    left join attempts on alerts.alert_id = attempts.alert_id
)

select * from final
