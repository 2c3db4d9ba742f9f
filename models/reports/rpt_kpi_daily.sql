with

dates as (

    select date_day from {{ ref('dim_dates') }}

),

order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

invoices as (

    select * from {{ ref('fct_invoices') }}

),

deliveries as (

    select * from {{ ref('fct_deliveries') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

orders_by_day as (

    select
        order_date as date_day,
        sum(net_amount) as order_intake,
        count(distinct sales_order_id) as order_count
    from order_lines
    where not is_cancelled
    group by order_date

),

invoices_by_day as (

    select
        issue_date as date_day,
        sum(net_amount) as turnover,
        sum(case when is_credit_note then net_amount else 0 end) as credit_note_amount
    from invoices
    group by issue_date

),

otd_by_day as (

    select
        promised_date as date_day,
        count(*) as otd_due_lines,
        sum(case when is_delivered_in_full_on_time then 1 else 0 end) as otd_on_time_lines
    from order_lines
    where is_otd_due
    group by promised_date

),

otif_by_day as (

    select
        due_date as date_day,
        count(*) as otif_due_orders,
        sum(case when is_on_time_in_full then 1 else 0 end) as otif_orders
    from orders
    where is_otif_due
    group by due_date

),

deliveries_by_day as (

    select
        delivered_date as date_day,
        sum(net_amount) as delivered_net_sales,
        sum(cost_amount) as delivered_cogs
    from deliveries
    where
        is_delivered
        and not is_order_cancelled
    group by delivered_date

),

final as (

    select
        dates.date_day,
        {{ money('coalesce(orders_by_day.order_intake, 0)') }} as order_intake,
        cast(coalesce(orders_by_day.order_count, 0) as integer) as order_count,
        {{ money('coalesce(invoices_by_day.turnover, 0)') }} as turnover,
        {{ money('coalesce(invoices_by_day.credit_note_amount, 0)') }} as credit_note_amount,
        cast(coalesce(otd_by_day.otd_due_lines, 0) as integer) as otd_due_lines,
        cast(coalesce(otd_by_day.otd_on_time_lines, 0) as integer) as otd_on_time_lines,
        cast(coalesce(otif_by_day.otif_due_orders, 0) as integer) as otif_due_orders,
        cast(coalesce(otif_by_day.otif_orders, 0) as integer) as otif_orders,
        {{ money('coalesce(deliveries_by_day.delivered_net_sales, 0)') }} as delivered_net_sales,
        {{ money('coalesce(deliveries_by_day.delivered_cogs, 0)') }} as delivered_cogs
    from dates
    left join orders_by_day
        on dates.date_day = orders_by_day.date_day
    left join invoices_by_day
        on dates.date_day = invoices_by_day.date_day
    left join otd_by_day
        on dates.date_day = otd_by_day.date_day
    left join otif_by_day
        on dates.date_day = otif_by_day.date_day
    left join deliveries_by_day
        on dates.date_day = deliveries_by_day.date_day

)

select * from final
