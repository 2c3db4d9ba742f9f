with

source as (

    select
        id,
        created_at,
        updated_at,
        sales_order_id,
        line_no,
        product_id,
        quantity,
        unit_price,
        discount,
        tax_rate,
        promised_date,
        net_amount,
        reserved_quantity,
        shipped_quantity
    from {{ source('operational', 'sales_order_line') }}

),

renamed as (

    select
        id as sales_order_line_id,
        sales_order_id,
        line_no,
        product_id,
        quantity,
        unit_price,
        discount as discount_rate,
        tax_rate,
        promised_date as line_promised_date,
        net_amount,
        reserved_quantity,
        shipped_quantity,
        created_at,
        updated_at
    from source

)

select * from renamed
