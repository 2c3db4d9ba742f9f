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

    -- dim_customers' keys; read from staging, since the dimension's order stats would
    -- make every new order rebuild this fact and its tests
    select customer_id from {{ ref('stg_crm__customers') }}

),

employees as (

    select employee_id from {{ ref('dim_employees') }}

),

customer_versions as (

    select * from {{ ref('int_customers_versioned') }}

),

final as (

    select
        opportunities.opportunity_id,
        opportunities.opportunity_name,
        coalesce(customers.customer_id, -1) as customer_id,
        coalesce(employees.employee_id, -1) as owner_employee_id,
        -- the customer's region and grade as valid on the opportunity's creation date
        coalesce(customer_versions.region, 'unknown') as customer_region,
        coalesce(customer_versions.customer_grade, '?') as customer_grade,
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
    left join customer_versions
        on
            opportunities.customer_id = customer_versions.customer_id
            and cast(opportunities.created_date as timestamp) >= customer_versions.valid_from_at
            and cast(opportunities.created_date as timestamp) < customer_versions.valid_to_at

)

select * from final
