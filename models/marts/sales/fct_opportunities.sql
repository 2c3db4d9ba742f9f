with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

stage_changes as (

    select
        opportunity_id,
        count(*) as stage_change_count
    from {{ ref('stg_crm__opportunity_stage_changes') }}
    group by opportunity_id

),

customers as (

    select customer_id from {{ ref('dim_customers') }}

),

employees as (

    select employee_id from {{ ref('dim_employees') }}

),

final as (

    select
        opportunities.opportunity_id,
        opportunities.opportunity_name,
        coalesce(customers.customer_id, -1) as customer_id,
        coalesce(employees.employee_id, -1) as owner_employee_id,
        opportunities.lead_id,
        opportunities.opportunity_stage,
        opportunities.opportunity_stage = 'won' as is_won,
        opportunities.opportunity_stage = 'lost' as is_lost,
        opportunities.opportunity_stage in ('won', 'lost') as is_closed,
        opportunities.opportunity_amount,
        opportunities.expected_close_date,
        opportunities.created_at,
        opportunities.created_date,
        opportunities.closed_at,
        opportunities.closed_date,
        opportunities.last_activity_at,
        case
            when opportunities.opportunity_stage in ('won', 'lost')
                then {{ dbt.datediff('opportunities.created_date', 'opportunities.closed_date', 'day') }}
        end as days_to_close,
        coalesce(stage_changes.stage_change_count, 0) as stage_change_count
    from opportunities
    left join stage_changes
        on opportunities.opportunity_id = stage_changes.opportunity_id
    left join customers
        on opportunities.customer_id = customers.customer_id
    left join employees
        on opportunities.owner_employee_id = employees.employee_id

)

select * from final
