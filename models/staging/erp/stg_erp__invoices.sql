with

source as (

    select
        id,
        created_at,
        updated_at,
        invoice_no,
        kind,
        sales_order_id,
        customer_id,
        credited_invoice_id,
        issue_date,
        due_date,
        net_amount,
        tax_amount,
        gross_amount,
        paid_amount
    from {{ source('operational', 'invoice') }}

),

renamed as (

    select
        id as invoice_id,
        invoice_no,
        kind as invoice_kind,
        kind = 'credit_note' as is_credit_note,
        sales_order_id,
        customer_id,
        credited_invoice_id,
        issue_date,
        due_date,
        net_amount,
        tax_amount,
        gross_amount,
        paid_amount,
        created_at,
        updated_at
    from source

)

select * from renamed
