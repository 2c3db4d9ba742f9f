with

order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

customers as (

    select
        customer_id,
        customer_code,
        customer_name
    from {{ ref('dim_customers') }}

),

by_customer_day as (

    select
        customer_id,
        order_date,
        sum(net_amount) as net_sales,
        sum(cost_amount) as cogs,
        count(distinct sales_order_id) as order_count
    from order_lines
    where not is_cancelled
    group by customer_id, order_date

),

final as (

    select
        by_customer_day.customer_id,
        customers.customer_code,
        customers.customer_name,
        by_customer_day.order_date,
        {{ money('by_customer_day.net_sales') }} as net_sales,
        {{ money('by_customer_day.cogs') }} as cogs,
        cast(by_customer_day.order_count as integer) as order_count
    from by_customer_day
    inner join customers
        on by_customer_day.customer_id = customers.customer_id

)

select * from final
