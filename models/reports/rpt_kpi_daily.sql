{#- One row per date of the spine: the cells of rpt_kpi_daily_dims summed per day (zeros on
    days without activity), so the dimensioned and undimensioned KPIs share one computation. -#}
with

dates as (

    select date_day from {{ ref('dim_dates') }}

),

cells as (

    select * from {{ ref('rpt_kpi_daily_dims') }}

),

by_day as (

    select
        date_day,
        sum(order_intake) as order_intake,
        sum(order_count) as order_count,
        sum(turnover) as turnover,
        sum(credit_note_amount) as credit_note_amount,
        sum(otd_due_lines) as otd_due_lines,
        sum(otd_on_time_lines) as otd_on_time_lines,
        sum(otif_due_orders) as otif_due_orders,
        sum(otif_orders) as otif_orders,
        sum(delivered_net_sales) as delivered_net_sales,
        sum(delivered_cogs) as delivered_cogs
    from cells
    group by date_day

),

final as (

    select
        dates.date_day,
        {{ money('coalesce(by_day.order_intake, 0)') }} as order_intake,
        cast(coalesce(by_day.order_count, 0) as integer) as order_count,
        {{ money('coalesce(by_day.turnover, 0)') }} as turnover,
        {{ money('coalesce(by_day.credit_note_amount, 0)') }} as credit_note_amount,
        cast(coalesce(by_day.otd_due_lines, 0) as integer) as otd_due_lines,
        cast(coalesce(by_day.otd_on_time_lines, 0) as integer) as otd_on_time_lines,
        cast(coalesce(by_day.otif_due_orders, 0) as integer) as otif_due_orders,
        cast(coalesce(by_day.otif_orders, 0) as integer) as otif_orders,
        {{ money('coalesce(by_day.delivered_net_sales, 0)') }} as delivered_net_sales,
        {{ money('coalesce(by_day.delivered_cogs, 0)') }} as delivered_cogs
    from dates
    left join by_day
        on dates.date_day = by_day.date_day

)

select * from final
