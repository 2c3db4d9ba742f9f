with

supplier_payments as (

    select * from {{ ref('stg_erp__supplier_payments') }}

),

purchase_orders as (

    select
        purchase_order_id,
        supplier_id,
        po_no
    from {{ ref('stg_erp__purchase_orders') }}

),

approvals as (

    select
        approval_request_id,
        approval_status,
        decided_at
    from {{ ref('stg_oa__approval_requests') }}

),

final as (

    select
        supplier_payments.supplier_payment_id,
        supplier_payments.payment_no,
        supplier_payments.purchase_order_id,
        purchase_orders.po_no,
        coalesce(purchase_orders.supplier_id, -1) as supplier_id,
        supplier_payments.payment_amount,
        supplier_payments.paid_date,
        supplier_payments.approval_request_id,
        approvals.approval_status,
        -- 先审批、后付款: a payment must rest on a granted approval
        coalesce(approvals.approval_status = 'approved', false) as is_approved_before_payment
    from supplier_payments
    left join purchase_orders
        on supplier_payments.purchase_order_id = purchase_orders.purchase_order_id
    left join approvals
        on supplier_payments.approval_request_id = approvals.approval_request_id

)

select * from final
