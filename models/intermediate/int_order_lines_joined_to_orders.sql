with

order_lines as (

    select * from {{ ref('stg_erp__sales_order_lines') }}

),

orders as (

    select * from {{ ref('stg_erp__sales_orders') }}

),

joined as (

    select
        order_lines.sales_order_line_id,
        order_lines.sales_order_id,
        orders.order_no,
        order_lines.line_no,
        orders.customer_id,
        orders.owner_employee_id,
        order_lines.product_id,
        orders.order_date,
        -- DOMAIN.md: the line's promised date, else the order's.
        coalesce(order_lines.line_promised_date, orders.promised_date) as promised_date,
        orders.order_status,
        orders.is_cancelled,
        order_lines.quantity,
        order_lines.unit_price,
        order_lines.discount_rate,
        order_lines.tax_rate,
        order_lines.net_amount,
        order_lines.shipped_quantity as store_shipped_quantity
    from order_lines
    inner join orders
        on order_lines.sales_order_id = orders.sales_order_id

)

select * from joined
