-- Incremental (config in _sales__models.yml): a refresh rebuilds only the orders it
-- touched (macros/changed_rows.sql).
{%- set orders = changed_sales_orders() %}

with

orders as (

    select * from {{ ref('stg_erp__sales_orders') }}
    {{ keys_filter('sales_order_id', orders) }}

),

order_lines as (

    select * from {{ ref('fct_order_lines') }}
    {{ keys_filter('sales_order_id', orders) }}

),

lines_by_order as (

    select
        sales_order_id,
        count(*) as line_count,
        sum(net_amount) as net_amount,
        sum(cost_amount) as cost_amount,
        -- the order is due when its last line is due
        max(promised_date) as due_date,
        count(*) - count(promised_date) as lines_without_promised_date,
        sum(case when is_delivered_in_full then 0 else 1 end) as lines_not_in_full,
        sum(case when is_delivered_in_full_on_time then 0 else 1 end) as lines_not_on_time_in_full,
        max(last_delivered_date) as last_delivered_date
    from order_lines
    group by sales_order_id

),

customers as (

    select customer_id from {{ ref('dim_customers') }}

),

final as (

    select
        orders.sales_order_id,
        orders.order_no,
        coalesce(customers.customer_id, -1) as customer_id,
        coalesce(orders.owner_employee_id, -1) as owner_employee_id,
        orders.order_date,
        orders.promised_date as order_promised_date,
        lines_by_order.due_date,
        orders.order_status,
        orders.is_cancelled,
        coalesce(lines_by_order.line_count, 0) as line_count,
        {{ money('coalesce(lines_by_order.net_amount, 0)') }} as net_amount,
        {{ money('coalesce(lines_by_order.cost_amount, 0)') }} as cost_amount,
        lines_by_order.last_delivered_date,
        coalesce(lines_by_order.lines_not_in_full, 0) = 0 and lines_by_order.line_count > 0 as is_delivered_in_full,
        -- OTIF population: not cancelled, every line has a promised date (as for OTD, a line
        -- without one cannot be judged), the due date is not after the as-of date
        (
            not orders.is_cancelled
            and lines_by_order.lines_without_promised_date = 0
            and lines_by_order.due_date <= {{ as_of_date() }}
        ) as is_otif_due,
        coalesce(lines_by_order.lines_not_on_time_in_full, 1) = 0 as is_on_time_in_full
    from orders
    left join lines_by_order
        on orders.sales_order_id = lines_by_order.sales_order_id
    left join customers
        on orders.customer_id = customers.customer_id

)

select * from final
