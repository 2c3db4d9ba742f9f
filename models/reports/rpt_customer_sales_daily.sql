{#- One row per customer and order date: the cells of rpt_customer_sales_daily_dims summed,
    so LTV, active customers and repurchase share one computation with their slices. -#}
-- Incremental (config in _reports__models.yml): a refresh rebuilds only the customers of
-- the orders it touched (macros/changed_rows.sql).
{%- set customers = changed_customers() %}

with

cells as (

    select * from {{ ref('rpt_customer_sales_daily_dims') }}
    {{ keys_filter('customer_id', customers) }}

),

final as (

    select
        customer_id,
        customer_code,
        customer_name,
        order_date,
        {{ money('sum(net_sales)') }} as net_sales,
        {{ money('sum(cogs)') }} as cogs,
        cast(sum(order_count) as integer) as order_count
    from cells
    group by customer_id, customer_code, customer_name, order_date

)

select * from final
