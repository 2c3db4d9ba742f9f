{#- Stalled opportunity: an open opportunity with no activity for more than N days in its
    current stage (N per stage: var stalled_opportunity_days, merged over the defaults
    below; 'default' covers stages not listed). The clock starts at the later of entering the
    stage and the last activity; that date is the episode in the rule key, so new activity
    clears the finding and a later stall is a new one. -#}
{%- set txt = dbt.type_string() -%}
{%- set limits = {
    'prospecting': 14, 'qualification': 14, 'proposal': 21, 'negotiation': 10, 'default': 14,
} -%}
{%- do limits.update(var('stalled_opportunity_days', {})) -%}
{%- set response_days = var('action_response_days', {}).get('stalled_opportunity', 3) -%}

with

opportunities as (

    select * from {{ ref('fct_opportunities') }}
    where not is_closed

),

stage_entries as (

    -- when the opportunity last entered the stage it is in now
    select
        changes.opportunity_id,
        max(changes.changed_at) as stage_entered_at
    from {{ ref('fct_opportunity_stage_changes') }} as changes
    inner join opportunities
        on
            changes.opportunity_id = opportunities.opportunity_id
            and changes.to_stage = opportunities.opportunity_stage
    group by changes.opportunity_id

),

activities as (

    select
        opportunity_id,
        max(occurred_at) as last_activity_at
    from {{ ref('fct_activities') }}
    where opportunity_id is not null
    group by opportunity_id

),

customers as (

    select
        customer_id,
        customer_name,
        owner_employee_id
    from {{ ref('dim_customers') }}

),

employees as (

    select employee_id from {{ ref('dim_employees') }}
    where is_active and employee_id <> -1

),

owners as (

    select employee_id from {{ ref('int_action_owners') }}
    where department = 'sales'

),

touched as (

    select
        opportunities.*,
        coalesce(stage_entries.stage_entered_at, opportunities.created_at) as stage_entered_at,
        -- activity before the opportunity entered its stage does not count
        case
            when
                coalesce(activities.last_activity_at, opportunities.last_activity_at) is not null
                and coalesce(activities.last_activity_at, opportunities.last_activity_at)
                > coalesce(stage_entries.stage_entered_at, opportunities.created_at)
                then coalesce(activities.last_activity_at, opportunities.last_activity_at)
            else coalesce(stage_entries.stage_entered_at, opportunities.created_at)
        end as last_touch_at
    from opportunities
    left join stage_entries
        on opportunities.opportunity_id = stage_entries.opportunity_id
    left join activities
        on opportunities.opportunity_id = activities.opportunity_id

),

measured as (

    select
        touched.*,
        {{ to_local_date('last_touch_at') }} as last_touch_date,
        {{ dbt.datediff(to_local_date('last_touch_at'), as_of_date(), 'day') }} as days_idle,
        case touched.opportunity_stage
            {% for stage, days in limits.items() if stage != 'default' %}
                when '{{ stage }}' then {{ days }}
            {% endfor %}
            else {{ limits['default'] }}
        end as limit_days
    from touched

),

final as (

    select
        'stalled_opportunity:opp:' || cast(measured.opportunity_id as {{ txt }})
        || ':stage:' || measured.opportunity_stage
        || ':since:' || cast(measured.last_touch_date as {{ txt }}) as rule_key,
        'stalled_opportunity' as rule,
        'opportunity' as reference_type,
        measured.opportunity_id as reference_id,
        coalesce(opp_owner.employee_id, customer_owner.employee_id, owners.employee_id, -1)
            as owner_employee_id,
        'Follow up stalled opportunity ' || measured.opportunity_name
        || ' (' || coalesce(customers.customer_name, 'unknown customer') || ')' as title,
        'No activity for ' || cast(measured.days_idle as {{ txt }})
        || ' days in stage ' || measured.opportunity_stage
        || ' (limit ' || cast(measured.limit_days as {{ txt }})
        || '); last touch ' || cast(measured.last_touch_date as {{ txt }})
        || '. Amount ' || cast(measured.opportunity_amount as {{ txt }})
        || coalesce(
            ', expected to close ' || cast(measured.expected_close_date as {{ txt }}),
            ''
        ) || '.' as reason,
        case when measured.days_idle > 2 * measured.limit_days then 'high' else 'medium' end
            as severity,
        {{ money('measured.opportunity_amount') }} as amount,
        cast({{ dbt.dateadd('day', response_days, as_of_date()) }} as date) as due_date,
        '{"stage": "' || measured.opportunity_stage
        || '", "days_idle": ' || cast(measured.days_idle as {{ txt }})
        || ', "limit_days": ' || cast(measured.limit_days as {{ txt }})
        || ', "last_touch_date": "' || cast(measured.last_touch_date as {{ txt }})
        || '"}' as details
    from measured
    left join customers
        on measured.customer_id = customers.customer_id
    left join employees as opp_owner
        on measured.owner_employee_id = opp_owner.employee_id
    left join employees as customer_owner
        on customers.owner_employee_id = customer_owner.employee_id
    left join owners
        on 1 = 1
    where measured.days_idle > measured.limit_days

)

select * from final
