{# Items inside each digest (预警事项): gap, quarantined row or warning, and its state in that
   night's digest (new / open / reminder / resolved). #}
with

items as (
    select * from {{ source('alerts', 'alert_item') }}
),

final as (
    select
        items.alert_id,
        items.item_kind,
        items.item_id,
        items.state,
        items.rule_id,
        items.project_code,
        items.opened_on,
        items.days_open,
        items.escalated
    from items
)

select * from final
