with

source as (

    select
        id,
        created_at,
        updated_at,
        sku,
        name,
        category,
        unit,
        list_price,
        standard_cost,
        reorder_point,
        lead_time_days,
        supplier_id,
        is_active
    from {{ source('operational', 'product') }}

),

renamed as (

    select
        id as product_id,
        sku,
        name as product_name,
        category as product_category,
        unit,
        list_price,
        standard_cost,
        reorder_point,
        lead_time_days,
        supplier_id,
        is_active,
        created_at,
        updated_at
    from source

)

select * from renamed
