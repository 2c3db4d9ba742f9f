{#- Per product: stock on hand, what open orders have claimed, what is on order from
    suppliers, and the recent sales velocity. Feeds the reorder and delivery-risk rules. -#}
{%- set velocity_days = var('reorder_velocity_days', 90) -%}
{%- set window_start = dbt.dateadd('day', -velocity_days, as_of_date()) -%}

with

products as (

    select * from {{ ref('dim_products') }}
    where product_id <> -1

),

movements as (

    select * from {{ ref('fct_stock_movements') }}

),

order_lines as (

    select * from {{ ref('fct_order_lines') }}
    where order_status = 'confirmed'

),

store_order_lines as (

    select
        sales_order_line_id,
        reserved_quantity
    from {{ ref('stg_erp__sales_order_lines') }}

),

purchase_lines as (

    select * from {{ ref('fct_purchase_order_lines') }}
    where purchase_order_status in ('ordered', 'partially_received')

),

on_hand as (

    select
        product_id,
        sum(quantity) as on_hand_quantity,
        -sum(
            case
                when
                    is_outbound_sale
                    and moved_date > cast({{ window_start }} as date)
                    and moved_date <= {{ as_of_date() }}
                    then quantity
                else 0
            end
        ) as sold_quantity
    from movements
    group by product_id

),

claimed as (

    -- confirmed orders not shipped yet: reserved stock, and demand nothing covers yet
    select
        order_lines.product_id,
        sum(coalesce(store_order_lines.reserved_quantity, 0)) as reserved_quantity,
        sum(
            case
                when
                    order_lines.quantity - order_lines.shipped_quantity
                    - coalesce(store_order_lines.reserved_quantity, 0) > 0
                    then
                        order_lines.quantity - order_lines.shipped_quantity
                        - coalesce(store_order_lines.reserved_quantity, 0)
                else 0
            end
        ) as backorder_quantity
    from order_lines
    left join store_order_lines
        on order_lines.sales_order_line_id = store_order_lines.sales_order_line_id
    group by order_lines.product_id

),

on_order as (

    select
        product_id,
        sum(
            case when quantity > received_quantity then quantity - received_quantity else 0 end
        ) as on_order_quantity
    from purchase_lines
    group by product_id

),

last_buyer as (

    select
        product_id,
        buyer_employee_id,
        row_number() over (
            partition by product_id
            order by order_date desc, purchase_order_line_id desc
        ) as recency
    from {{ ref('fct_purchase_order_lines') }}
    where
        buyer_employee_id <> -1
        and purchase_order_status <> 'cancelled'

),

final as (

    select
        products.product_id,
        products.sku,
        products.product_name,
        products.unit,
        products.is_active,
        products.reorder_point,
        products.lead_time_days,
        products.standard_cost,
        products.supplier_id,
        products.supplier_name,
        last_buyer.buyer_employee_id as last_buyer_employee_id,
        cast(coalesce(on_hand.on_hand_quantity, 0) as decimal(18, 3)) as on_hand_quantity,
        cast(coalesce(claimed.reserved_quantity, 0) as decimal(18, 3)) as reserved_quantity,
        cast(coalesce(claimed.backorder_quantity, 0) as decimal(18, 3)) as backorder_quantity,
        cast(coalesce(on_order.on_order_quantity, 0) as decimal(18, 3)) as on_order_quantity,
        cast(
            coalesce(on_hand.on_hand_quantity, 0) - coalesce(claimed.reserved_quantity, 0)
            - coalesce(claimed.backorder_quantity, 0) + coalesce(on_order.on_order_quantity, 0)
            as decimal(18, 3)
        ) as stock_position,
        cast(coalesce(on_hand.sold_quantity, 0) as decimal(18, 3)) as sold_quantity,
        {{ velocity_days }} as velocity_days,
        cast(
            coalesce(on_hand.sold_quantity, 0) / {{ velocity_days }} as decimal(18, 3)
        ) as daily_velocity
    from products
    left join on_hand
        on products.product_id = on_hand.product_id
    left join claimed
        on products.product_id = claimed.product_id
    left join on_order
        on products.product_id = on_order.product_id
    left join last_buyer
        on
            products.product_id = last_buyer.product_id
            and last_buyer.recency = 1

)

select * from final
