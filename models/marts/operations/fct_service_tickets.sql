with

tickets as (

    select * from {{ ref('stg_crm__service_tickets') }}

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
        tickets.service_ticket_id,
        tickets.ticket_no,
        coalesce(customers.customer_id, -1) as customer_id,
        -- the customer's region and grade as valid on the date the ticket was opened
        coalesce(customer_versions.region, 'unknown') as customer_region,
        coalesce(customer_versions.customer_grade, '?') as customer_grade,
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
    left join customer_versions
        on
            tickets.customer_id = customer_versions.customer_id
            and cast(tickets.opened_date as timestamp) >= customer_versions.valid_from_at
            and cast(tickets.opened_date as timestamp) < customer_versions.valid_to_at

)

select * from final
