with

source as (

    select
        id,
        created_at,
        updated_at,
        order_no,
        customer_id,
        owner_id,
        order_date,
        promised_date,
        status,
        confirmed_at,
        cancelled_at,
        estimated_delivery_date
    from {{ source('operational', 'sales_order') }}

),

renamed as (

    select
        id as sales_order_id,
        order_no,
        customer_id,
        owner_id as owner_employee_id,
        order_date,
        promised_date,
        status as order_status,
        status = 'cancelled' as is_cancelled,
        confirmed_at,
        cancelled_at,
        estimated_delivery_date,
        created_at,
        updated_at
    from source

)

select * from renamed
