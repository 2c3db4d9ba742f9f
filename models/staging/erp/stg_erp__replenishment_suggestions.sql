with

source as (

    select
        id,
        created_at,
        updated_at,
        product_id,
        supplier_id,
        sales_order_line_id,
        quantity,
        estimated_available_date,
        status,
        purchase_order_id
    from {{ source('operational', 'replenishment_suggestion') }}

),

renamed as (

    select
        id as replenishment_suggestion_id,
        product_id,
        supplier_id,
        sales_order_line_id,
        quantity,
        estimated_available_date,
        status as suggestion_status,
        purchase_order_id,
        created_at,
        updated_at
    from source

)

select * from renamed
