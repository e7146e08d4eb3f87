{# Items inside each digest (预警事项): gap, quarantined row or warning, and its state in that
   night's digest (new / open / reminder / resolved). owner_dept is the digest's owner, so a
   street's role sees the items of its own digests only. #}
with

items as (
    select * from {{ source('alerts', 'alert_item') }}
),

alerts as (
    select * from {{ source('alerts', 'alert') }}
),

final as (
    select
        items.alert_id,
        alerts.owner_dept,
        items.item_kind,
        items.item_id,
        items.state,
        items.rule_id,
        items.project_code,
        items.opened_on,
        items.days_open,
        items.escalated
    from items
    inner join alerts on items.alert_id = alerts.alert_id
)

select * from final
