{#- One row per customer and order date: the cells of rpt_customer_sales_daily_dims summed,
    so LTV, active customers and repurchase share one computation with their slices. -#}
with

cells as (

    select * from {{ ref('rpt_customer_sales_daily_dims') }}

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
