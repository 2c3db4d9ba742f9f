with

source as (

    select
        id,
        created_at,
        updated_at,
        ticket_no,
        customer_id,
        sales_order_id,
        category,
        priority,
        subject,
        assignee_id,
        status,
        opened_at,
        resolved_at,
        satisfaction
    from {{ source('operational', 'service_ticket') }}

),

renamed as (

    select
        id as service_ticket_id,
        ticket_no,
        customer_id,
        sales_order_id,
        category as ticket_category,
        priority as ticket_priority,
        subject,
        assignee_id as assignee_employee_id,
        status as ticket_status,
        opened_at,
        resolved_at,
        satisfaction as satisfaction_score,
        {{ to_local_date('opened_at') }} as opened_date,
        {{ to_local_date('resolved_at') }} as resolved_date,
        created_at,
        updated_at
    from source

)

select * from renamed
