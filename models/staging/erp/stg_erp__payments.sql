with

source as (

    select
        id,
        created_at,
        updated_at,
        payment_no,
        invoice_id,
        customer_id,
        amount,
        paid_date,
        method
    from {{ source('operational', 'payment') }}

),

renamed as (

    select
        id as payment_id,
        payment_no,
        invoice_id,
        customer_id,
        amount as payment_amount,
        paid_date,
        method as payment_method,
        created_at,
        updated_at
    from source

)

select * from renamed
