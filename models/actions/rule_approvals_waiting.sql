{#- Approval waiting: a submitted request undecided for more than var approval_waiting_hours.
    Hours are counted to "now": var as_of_at (a UTC timestamp) if given; else the build's start
    when the as-of date is today; else the end of the as-of date (company timezone). The
    approver acts; without one (or one who left), management's owner. -#}
{%- set txt = dbt.type_string() -%}
{{ config(tags=["clock"]) }}
{%- set limit_hours = var('approval_waiting_hours', 48) -%}
{%- set response_days = var('action_response_days', {}).get('approval_waiting', 0) -%}
{%- set tz = modules.pytz.timezone(var('company_timezone')) -%}
{%- set as_of = as_of_date_value() -%}
{%- if var('as_of_at', '') -%}
    {%- set now_utc = var('as_of_at') | string -%}
{%- elif run_started_at.astimezone(tz).date() == as_of -%}
    {%- set now_utc = run_started_at.strftime('%Y-%m-%d %H:%M:%S') -%}
{%- else -%}
    {%- set midnight = modules.datetime.datetime.combine(as_of, modules.datetime.time()) -%}
    {%- set local_end = tz.localize(midnight + modules.datetime.timedelta(days=1)) -%}
    {%- set now_utc = local_end.astimezone(modules.pytz.utc).strftime('%Y-%m-%d %H:%M:%S') -%}
{%- endif -%}
{%- set now_sql = "cast('" ~ now_utc ~ "' as timestamp)" -%}

with

approvals as (

    select * from {{ ref('fct_approval_requests') }}
    where
        approval_status = 'submitted'
        and submitted_at is not null

),

employees as (

    select employee_id from {{ ref('dim_employees') }}
    where is_active and employee_id <> -1

),

owners as (

    select employee_id from {{ ref('int_action_owners') }}
    where department = 'management'

),

measured as (

    select
        approvals.*,
        {{ to_local_date('approvals.submitted_at') }} as submitted_local_date,
        cast(floor(
            {{ dbt.datediff('approvals.submitted_at', now_sql, 'minute') }}
            / 60.0
        ) as integer) as hours_waiting
    from approvals

),

final as (

    select
        'approval_waiting:request:' || cast(measured.approval_request_id as {{ txt }})
            as rule_key,
        'approval_waiting' as rule,
        'approval_request' as reference_type,
        measured.approval_request_id as reference_id,
        coalesce(approver.employee_id, owners.employee_id, -1) as owner_employee_id,
        'Decide ' || measured.approval_kind || ' request ' || measured.request_no as title,
        'Waiting ' || cast(measured.hours_waiting as {{ txt }})
        || ' hours for a decision since it was submitted on '
        || cast(measured.submitted_local_date as {{ txt }})
        || ' (limit {{ limit_hours }} hours)'
        || coalesce('; amount ' || cast(measured.amount as {{ txt }}), '')
        || '.' as reason,
        case when measured.hours_waiting > 2 * {{ limit_hours }} then 'high' else 'medium' end
            as severity,
        {{ money('measured.amount') }} as amount,
        cast({{ dbt.dateadd('day', response_days, as_of_date()) }} as date) as due_date,
        '{"approval_kind": "' || measured.approval_kind
        || '", "hours_waiting": ' || cast(measured.hours_waiting as {{ txt }})
        || ', "limit_hours": {{ limit_hours }}, "requester_employee_id": '
        || cast(measured.requester_employee_id as {{ txt }}) || '}' as details
    from measured
    left join employees as approver
        on measured.approver_employee_id = approver.employee_id
    left join owners
        on 1 = 1
    where measured.hours_waiting > {{ limit_hours }}

)

select * from final
