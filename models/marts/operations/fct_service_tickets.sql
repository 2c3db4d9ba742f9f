with

tickets as (

    select * from {{ ref('stg_crm__service_tickets') }}

),

customers as (

    select customer_id from {{ ref('dim_customers') }}

),

employees as (

    select employee_id from {{ ref('dim_employees') }}

),

final as (

    select
        tickets.service_ticket_id,
        tickets.ticket_no,
        coalesce(customers.customer_id, -1) as customer_id,
        tickets.sales_order_id,
        tickets.ticket_category,
        tickets.ticket_priority,
        tickets.ticket_status,
        coalesce(employees.employee_id, -1) as assignee_employee_id,
        tickets.opened_at,
        tickets.opened_date,
        tickets.resolved_at,
        tickets.resolved_date,
        tickets.resolved_at is not null as is_resolved,
        case
            when tickets.resolved_at is not null
                then {{ dbt.datediff('tickets.opened_at', 'tickets.resolved_at', 'minute') }} / 60.0
        end as resolution_hours,
        tickets.satisfaction_score
    from tickets
    left join customers
        on tickets.customer_id = customers.customer_id
    left join employees
        on tickets.assignee_employee_id = employees.employee_id

)

select * from final
