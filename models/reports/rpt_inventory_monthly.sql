with

inventory as (

    select * from {{ ref('fct_inventory_month_end') }}

),

deliveries as (

    select * from {{ ref('fct_deliveries') }}

),

stock_by_month as (

    select
        month_start_date,
        month_end_date,
        product_category,
        sum(on_hand_quantity) as on_hand_quantity,
        sum(inventory_value) as inventory_value,
        sum(case when on_hand_quantity > 0 then 1 else 0 end) as products_in_stock,
        sum(case when is_slow_moving then 1 else 0 end) as slow_moving_products,
        sum(case when is_slow_moving then inventory_value else 0 end) as slow_moving_value
    from inventory
    group by month_start_date, month_end_date, product_category

),

cogs_by_month as (

    select
        cast({{ dbt.date_trunc('month', 'delivered_date') }} as date) as month_start_date,
        product_category,
        sum(cost_amount) as cogs
    from deliveries
    where
        is_delivered
        and not is_order_cancelled
    group by 1, 2

),

final as (

    select
        stock_by_month.month_start_date,
        stock_by_month.month_end_date,
        stock_by_month.product_category,
        cast(stock_by_month.on_hand_quantity as decimal(18, 3)) as on_hand_quantity,
        {{ money('stock_by_month.inventory_value') }} as inventory_value,
        cast(stock_by_month.products_in_stock as integer) as products_in_stock,
        cast(stock_by_month.slow_moving_products as integer) as slow_moving_products,
        {{ money('stock_by_month.slow_moving_value') }} as slow_moving_value,
        {{ money('coalesce(cogs_by_month.cogs, 0)') }} as cogs
    from stock_by_month
    left join cogs_by_month
        on
            stock_by_month.month_start_date = cogs_by_month.month_start_date
            and stock_by_month.product_category = cogs_by_month.product_category

)

select * from final
