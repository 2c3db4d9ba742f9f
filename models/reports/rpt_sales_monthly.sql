{#- Sales KPIs by month and by region, product category, customer grade (as valid on the
    order date) and sales owner. Each measure keeps its own date basis, as in
    rpt_kpi_daily: intake by order date, deliveries by delivery date, OTD by promised date. -#}
-- Incremental (config in _reports__models.yml): a refresh rebuilds only the months the
-- orders it touched count on, before and after the change (macros/changed_rows.sql).
{%- set months = changed_months() %}

with

order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

deliveries as (

    select * from {{ ref('fct_deliveries') }}

),

intake as (

    select
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start_date,
        customer_region,
        product_category,
        customer_grade,
        owner_employee_id,
        sum(net_amount) as order_intake,
        count(distinct sales_order_id) as order_count,
        0 as delivered_net_sales,
        0 as delivered_cogs,
        0 as otd_due_lines,
        0 as otd_on_time_lines
    from order_lines
    where not is_cancelled
    group by 1, 2, 3, 4, 5

),

delivered as (

    select
        cast({{ dbt.date_trunc('month', 'delivered_date') }} as date) as month_start_date,
        customer_region,
        product_category,
        customer_grade,
        owner_employee_id,
        0 as order_intake,
        0 as order_count,
        sum(net_amount) as delivered_net_sales,
        sum(cost_amount) as delivered_cogs,
        0 as otd_due_lines,
        0 as otd_on_time_lines
    from deliveries
    where
        is_delivered
        and not is_order_cancelled
    group by 1, 2, 3, 4, 5

),

otd as (

    select
        cast({{ dbt.date_trunc('month', 'promised_date') }} as date) as month_start_date,
        customer_region,
        product_category,
        customer_grade,
        owner_employee_id,
        0 as order_intake,
        0 as order_count,
        0 as delivered_net_sales,
        0 as delivered_cogs,
        count(*) as otd_due_lines,
        sum(case when is_delivered_in_full_on_time then 1 else 0 end) as otd_on_time_lines
    from order_lines
    where is_otd_due
    group by 1, 2, 3, 4, 5

),

unioned as (

    select * from intake
    union all
    select * from delivered
    union all
    select * from otd

),

final as (

    select
        month_start_date,
        customer_region,
        product_category,
        customer_grade,
        owner_employee_id,
        {{ money('sum(order_intake)') }} as order_intake,
        cast(sum(order_count) as integer) as order_count,
        {{ money('sum(delivered_net_sales)') }} as delivered_net_sales,
        {{ money('sum(delivered_cogs)') }} as delivered_cogs,
        cast(sum(otd_due_lines) as integer) as otd_due_lines,
        cast(sum(otd_on_time_lines) as integer) as otd_on_time_lines
    from unioned
    {{ keys_filter('month_start_date', months) }}
    group by 1, 2, 3, 4, 5

)

select * from final
