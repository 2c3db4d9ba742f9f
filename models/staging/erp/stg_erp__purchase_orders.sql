with

source as (

    select
        id,
        created_at,
        updated_at,
        po_no,
        supplier_id,
        order_date,
        expected_date,
        buyer_id,
        status,
        total_amount,
        is_system_draft
    from {{ source('operational', 'purchase_order') }}

),

renamed as (

    select
        id as purchase_order_id,
        po_no,
        supplier_id,
        order_date,
        expected_date,
        buyer_id as buyer_employee_id,
        status as purchase_order_status,
        total_amount,
        is_system_draft,
        created_at,
        updated_at
    from source

)

select * from renamed
