with

source as (

    select
        id,
        created_at,
        updated_at,
        payment_no,
        purchase_order_id,
        amount,
        paid_date,
        approval_request_id
    from {{ source('operational', 'supplier_payment') }}

),

renamed as (

    select
        id as supplier_payment_id,
        payment_no,
        purchase_order_id,
        amount as payment_amount,
        paid_date,
        approval_request_id,
        created_at,
        updated_at
    from source

)

select * from renamed
