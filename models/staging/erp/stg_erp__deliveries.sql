with

source as (

    select
        id,
        created_at,
        updated_at,
        delivery_no,
        sales_order_id,
        sales_order_line_id,
        quantity,
        shipped_at,
        delivered_at
    from {{ source('operational', 'delivery') }}

),

renamed as (

    select
        id as delivery_id,
        delivery_no,
        sales_order_id,
        sales_order_line_id,
        quantity,
        shipped_at,
        delivered_at,
        {{ to_local_date('shipped_at') }} as shipped_date,
        {{ to_local_date('delivered_at') }} as delivered_date,
        created_at,
        updated_at
    from source

)

select * from renamed
