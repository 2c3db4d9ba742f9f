-- Incremental (config in _sales__models.yml): a refresh rebuilds only the orders it
-- touched (macros/changed_rows.sql).
{%- set orders = changed_sales_orders() %}

with

deliveries as (

    select * from {{ ref('stg_erp__deliveries') }}
    {{ keys_filter('sales_order_id', orders) }}

),

order_lines as (

    select * from {{ ref('fct_order_lines') }}
    {{ keys_filter('sales_order_id', orders) }}

),

product_costs as (

    select * from {{ ref('int_product_costs_versioned') }}

),

joined as (

    select
        deliveries.delivery_id,
        deliveries.delivery_no,
        deliveries.sales_order_id,
        deliveries.sales_order_line_id,
        order_lines.customer_id,
        order_lines.product_id,
        order_lines.owner_employee_id,
        order_lines.customer_region,
        order_lines.customer_grade,
        order_lines.product_category,
        order_lines.is_cancelled as is_order_cancelled,
        deliveries.quantity,
        deliveries.shipped_at,
        deliveries.delivered_at,
        deliveries.shipped_date,
        deliveries.delivered_date,
        deliveries.delivered_at is not null as is_delivered,
        order_lines.promised_date,
        deliveries.delivered_date <= order_lines.promised_date as is_on_time,
        -- net sales of the delivered quantity: the line formula applied to it, rounded per delivery
        {{ line_net_amount('deliveries.quantity', 'order_lines.unit_price', 'order_lines.discount_rate') }} as net_amount,
        -- cost at the product's standard cost valid when it was delivered (else shipped)
        coalesce(product_costs.standard_cost, order_lines.standard_unit_cost) as standard_unit_cost
    from deliveries
    inner join order_lines
        on deliveries.sales_order_line_id = order_lines.sales_order_line_id
    left join product_costs
        on
            order_lines.product_id = product_costs.product_id
            and coalesce(deliveries.delivered_at, deliveries.shipped_at) >= product_costs.valid_from_at
            and coalesce(deliveries.delivered_at, deliveries.shipped_at) < product_costs.valid_to_at

),

final as (

    select
        *,
        {{ cost_amount('quantity', 'standard_unit_cost') }} as cost_amount
    from joined

)

select * from final
