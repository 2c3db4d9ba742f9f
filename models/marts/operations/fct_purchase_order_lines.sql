with

po_lines as (

    select * from {{ ref('stg_erp__purchase_order_lines') }}

),

purchase_orders as (

    select * from {{ ref('stg_erp__purchase_orders') }}

),

receipts as (

    select
        purchase_order_line_id,
        sum(quantity) as received_quantity,
        max(received_date) as last_received_date
    from {{ ref('stg_erp__goods_receipts') }}
    group by purchase_order_line_id

),

suppliers as (

    select supplier_id from {{ ref('dim_suppliers') }}

),

products as (

    select product_id from {{ ref('dim_products') }}

),

final as (

    select
        po_lines.purchase_order_line_id,
        po_lines.purchase_order_id,
        purchase_orders.po_no,
        po_lines.line_no,
        coalesce(suppliers.supplier_id, -1) as supplier_id,
        coalesce(products.product_id, -1) as product_id,
        coalesce(purchase_orders.buyer_employee_id, -1) as buyer_employee_id,
        purchase_orders.purchase_order_status,
        purchase_orders.is_system_draft,
        purchase_orders.order_date,
        purchase_orders.expected_date,
        po_lines.quantity,
        po_lines.unit_cost,
        {{ cost_amount('po_lines.quantity', 'po_lines.unit_cost') }} as line_amount,
        coalesce(receipts.received_quantity, 0) as received_quantity,
        receipts.last_received_date,
        coalesce(receipts.received_quantity, 0) >= po_lines.quantity as is_received_in_full,
        (
            coalesce(receipts.received_quantity, 0) >= po_lines.quantity
            and receipts.last_received_date <= purchase_orders.expected_date
        ) as is_received_on_time_in_full
    from po_lines
    inner join purchase_orders
        on po_lines.purchase_order_id = purchase_orders.purchase_order_id
    left join receipts
        on po_lines.purchase_order_line_id = receipts.purchase_order_line_id
    left join suppliers
        on purchase_orders.supplier_id = suppliers.supplier_id
    left join products
        on po_lines.product_id = products.product_id

)

select * from final
