{# The monthly bulletins (月度通报) issued: one row per month and as_of rendered by the reports
   package, with the hashes of its HTML and PDF and its delivery. A view, so a bulletin issued
   after the night's dbt build shows at once. #}
with

bulletins as (
    select * from {{ source('reports', 'bulletin') }}
),

final as (
    select
        bulletins.month,
        bulletins.as_of,
        bulletins.html_sha256,
        bulletins.pdf_sha256,
        array_to_string(bulletins.recipients, ', ') as recipients,
        bulletins.sent_at,
        bulletins.channel,
        bulletins.status,
        bulletins.html_path,
        bulletins.pdf_path
    from bulletins
)

select * from final
