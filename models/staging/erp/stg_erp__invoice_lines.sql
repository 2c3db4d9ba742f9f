with

source as (

    select
        id,
        created_at,
        updated_at,
        invoice_id,
        sales_order_line_id,
        quantity,
        net_amount,
        tax_amount
    from {{ source('operational', 'invoice_line') }}

),

renamed as (

    select
        id as invoice_line_id,
        invoice_id,
        sales_order_line_id,
        quantity,
        net_amount,
        tax_amount,
        created_at,
        updated_at
    from source

)

select * from renamed
