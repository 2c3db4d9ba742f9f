with

activities as (

    select * from {{ ref('stg_crm__activities') }}

),

employees as (

    select employee_id from {{ ref('dim_employees') }}

),

final as (

    select
        activities.activity_id,
        activities.activity_kind,
        activities.customer_id,
        activities.opportunity_id,
        activities.lead_id,
        coalesce(employees.employee_id, -1) as employee_id,
        activities.occurred_at,
        activities.occurred_date,
        activities.subject,
        activities.next_follow_up_date
    from activities
    left join employees
        on activities.employee_id = employees.employee_id

)

select * from final
