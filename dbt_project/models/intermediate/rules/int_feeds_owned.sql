{# Which department owns each feed: departments.csv lists its feeds ';'-separated. The rules route
   a gap of a feed to this department. #}
with

departments as (
    select * from {{ ref('departments') }}
),

owned as (
    select
        departments.dept_code,
        departments.dept_name,
        trim(feed_name.feed) as feed
    from departments
    cross join lateral unnest(string_to_array(departments.feeds, ';')) as feed_name (feed)
    where trim(feed_name.feed) <> ''
)

select * from owned
