with

source as (

    select
        id,
        created_at,
        updated_at,
        receipt_no,
        purchase_order_id,
        purchase_order_line_id,
        quantity,
        received_at
    from {{ source('operational', 'goods_receipt') }}

),

renamed as (

    select
        id as goods_receipt_id,
        receipt_no,
        purchase_order_id,
        purchase_order_line_id,
        quantity,
        received_at,
        {{ to_local_date('received_at') }} as received_date,
        created_at,
        updated_at
    from source

)

select * from renamed
