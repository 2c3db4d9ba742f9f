with

source as (

    select
        id,
        created_at,
        updated_at,
        purchase_order_id,
        line_no,
        product_id,
        quantity,
        unit_cost,
        received_quantity
    from {{ source('operational', 'purchase_order_line') }}

),

renamed as (

    select
        id as purchase_order_line_id,
        purchase_order_id,
        line_no,
        product_id,
        quantity,
        unit_cost,
        received_quantity,
        created_at,
        updated_at
    from source

)

select * from renamed
