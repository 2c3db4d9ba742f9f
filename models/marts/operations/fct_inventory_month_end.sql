{#- Month-end stock per product, rebuilt from the stock ledger (on-hand = sum of
    movements), valued at the standard cost valid at the end of that month. The month
    holding the as-of date shows the stock as of the latest movement. -#}
with

movements as (

    select * from {{ ref('fct_stock_movements') }}

),

month_ends as (

    select distinct
        month_start_date,
        month_end_date
    from {{ ref('dim_dates') }}
    where month_start_date <= {{ as_of_date() }}

),

products as (

    select
        product_id,
        product_category
    from {{ ref('dim_products') }}

),

product_costs as (

    select * from {{ ref('int_product_costs_versioned') }}

),

monthly as (

    select
        product_id,
        cast({{ dbt.date_trunc('month', 'moved_date') }} as date) as month_start_date,
        sum(quantity) as net_quantity,
        max(case when is_outbound_sale then moved_date end) as last_outbound_date,
        count(*) as movement_count
    from movements
    group by product_id, cast({{ dbt.date_trunc('month', 'moved_date') }} as date)

),

grid as (

    select
        products.product_id,
        products.product_category,
        month_ends.month_start_date,
        month_ends.month_end_date
    from products
    cross join month_ends

),

stock as (

    select
        grid.product_id,
        grid.product_category,
        grid.month_start_date,
        grid.month_end_date,
        sum(coalesce(monthly.net_quantity, 0)) over running as on_hand_quantity,
        max(monthly.last_outbound_date) over running as last_outbound_date,
        sum(coalesce(monthly.movement_count, 0)) over running as movement_count
    from grid
    left join monthly
        on
            grid.product_id = monthly.product_id
            and grid.month_start_date = monthly.month_start_date
    window running as (
        partition by grid.product_id
        order by grid.month_start_date
        rows between unbounded preceding and current row
    )

),

final as (

    select
        stock.product_id,
        stock.product_category,
        stock.month_start_date,
        stock.month_end_date,
        stock.on_hand_quantity,
        coalesce(product_costs.standard_cost, 0) as standard_unit_cost,
        {{ cost_amount('stock.on_hand_quantity', 'coalesce(product_costs.standard_cost, 0)') }} as inventory_value,
        stock.last_outbound_date,
        -- slow-moving: stock on hand and no sale shipment in the last N days of the month
        (
            stock.on_hand_quantity > 0
            and (
                stock.last_outbound_date is null
                or stock.last_outbound_date <= cast({{ dbt.dateadd('day', -var('slow_moving_days'), 'stock.month_end_date') }} as date)
            )
        ) as is_slow_moving
    from stock
    left join product_costs
        on
            stock.product_id = product_costs.product_id
            and cast(stock.month_end_date as timestamp) >= product_costs.valid_from_at
            and cast(stock.month_end_date as timestamp) < product_costs.valid_to_at
    where stock.movement_count > 0

)

select * from final
