{# Rule unregistered_project (应入尽入): a project with a granted registration approval
   (立项备案/项目核准/项目审批) of total investment >= the threshold, or with an industrial land
   parcel, that is not a registry project once the grace period after the approval's decided_on
   (or the parcel's contract_signed_on) has passed ("more than grace_days" calendar days). One gap
   per project_code (the earliest qualifying event dates it). Also an industrial parcel with a blank
   project_code whose assignee credit_code has no registry project, keyed by parcel_no and
   credit_code; the same grace after contract_signed_on applies to it. #}
with

approvals as (
    select * from {{ ref('stg_approvals__approvals') }}
),

parcels as (
    select * from {{ ref('stg_land__parcels') }}
),

projects as (
    select * from {{ ref('int_projects_registered') }}
),

by_approval as (
    select
        approvals.project_code,
        approvals.credit_code,
        null::text as parcel_no,
        null::text as street_code,
        approvals.decided_on as evidenced_on,
        approvals.item || ' ' || approvals.result || ' ' || approvals.decided_on::text
        || '，总投资' || approvals.total_investment::text || '万元' as evidence
    from approvals
    where
        approvals.item in ({{ "'" ~ var('registration_items') | join("', '") ~ "'" }})
        and approvals.result = '{{ var("approval_granted") }}'
        and approvals.total_investment >= {{ var('unregistered_min_investment') }}
        and approvals.project_code is not null
        and {{ as_of() }} - approvals.decided_on > {{ var('unregistered_grace_days') }}
),

by_parcel as (
    select
        parcels.project_code,
        parcels.credit_code,
        parcels.parcel_no,
        parcels.street_code,
        parcels.contract_signed_on as evidenced_on,
        '工业用地 ' || parcels.parcel_no || ' 合同签订 ' || parcels.contract_signed_on::text
            as evidence
    from parcels
    where
        parcels.land_use = '{{ var("land_use_industrial") }}'
        and parcels.project_code is not null
        and {{ as_of() }} - parcels.contract_signed_on > {{ var('unregistered_grace_days') }}
),

evidence as (
    select * from by_approval
    union all
    select * from by_parcel
),

unregistered_projects as (
    select
        evidence.project_code,
        min(evidence.credit_code) as credit_code,
        min(evidence.parcel_no) as parcel_no,
        min(evidence.street_code) as street_code,
        min(evidence.evidenced_on) as evidenced_on,
        string_agg(evidence.evidence, '；' order by evidence.evidenced_on, evidence.evidence)
            as evidence
    from evidence
    where
        not exists (
            select 1 from projects
            where projects.project_code = evidence.project_code
        )
    group by evidence.project_code
),

unregistered_assignees as (
    select
        null::text as project_code,
        parcels.credit_code,
        parcels.parcel_no,
        parcels.street_code,
        parcels.contract_signed_on as evidenced_on,
        '工业用地 ' || parcels.parcel_no || ' 未填项目代码，受让人无在库项目' as evidence
    from parcels
    where
        parcels.land_use = '{{ var("land_use_industrial") }}'
        and parcels.project_code is null
        and {{ as_of() }} - parcels.contract_signed_on > {{ var('unregistered_grace_days') }}
        and not exists (
            select 1 from projects
            where projects.credit_code = parcels.credit_code
        )
),

gaps as (
    select
        'unregistered_project' as rule_id,
        unregistered_projects.project_code as subject_key,
        unregistered_projects.project_code,
        unregistered_projects.credit_code,
        unregistered_projects.parcel_no,
        unregistered_projects.street_code,
        'registry' as feed,
        null::date as period,
        '未入库：' || unregistered_projects.evidence as detail
    from unregistered_projects
    union all
    select
        'unregistered_project' as rule_id,
        unregistered_assignees.parcel_no || '|' || coalesce(unregistered_assignees.credit_code, '')
            as subject_key,
        unregistered_assignees.project_code,
        unregistered_assignees.credit_code,
        unregistered_assignees.parcel_no,
        unregistered_assignees.street_code,
        'registry' as feed,
        null::date as period,
        '未入库：' || unregistered_assignees.evidence as detail
    from unregistered_assignees
)

select * from gaps
