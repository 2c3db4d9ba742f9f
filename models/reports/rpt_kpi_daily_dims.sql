{#- The additive components of the period KPIs by day and by the main dimensions: customer
    region and grade (as valid on the order date), product category and the order's sales
    owner. Each component is computed as rpt_kpi_daily always did (it now sums this model
    per day), so every slice adds up to the undimensioned value. Order-level counts
    (order_count, otif_*) sit in the cell of the order's first line: they add up over days,
    regions, grades and owners, but do not mean "orders of this category".

    Incremental by day (macros/changed_rows.sql, changed_days): a refresh that touched a few
    orders rebuilds only the days they count on; each part below reads only those days. -#}
{%- set days = changed_days() %}
with

dates as (

    select date_day from {{ ref('dim_dates') }}
    {{ keys_filter('date_day', days) }}

),

order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

invoices as (

    select * from {{ ref('fct_invoices') }}
    {{ keys_filter('issue_date', days) }}

),

invoice_lines as (

    select * from {{ ref('stg_erp__invoice_lines') }}

),

deliveries as (

    select * from {{ ref('fct_deliveries') }}

),

employees as (

    select
        employee_id,
        employee_code,
        employee_name
    from {{ ref('dim_employees') }}

),

first_lines as (

    select
        sales_order_id,
        min(sales_order_line_id) as sales_order_line_id
    from order_lines
    group by sales_order_id

),

order_cells as (

    -- region, grade and owner are the order's (one customer, one order date, one owner)
    select
        first_lines.sales_order_id,
        order_lines.customer_region,
        order_lines.product_category,
        order_lines.customer_grade,
        order_lines.owner_employee_id
    from first_lines
    inner join order_lines
        on first_lines.sales_order_line_id = order_lines.sales_order_line_id

),

invoice_items as (

    -- invoice lines signed like their invoice (credit notes negative) ...
    select
        invoice_lines.invoice_id,
        invoice_lines.sales_order_line_id,
        case
            when invoices.is_credit_note then -abs(invoice_lines.net_amount)
            else invoice_lines.net_amount
        end as net_amount
    from invoice_lines
    inner join invoices
        on invoice_lines.invoice_id = invoices.invoice_id

),

invoice_remainders as (

    -- ... and what an invoice's lines do not explain (an invoice without lines)
    select
        invoices.invoice_id,
        cast(null as bigint) as sales_order_line_id,
        invoices.net_amount - coalesce(sum(invoice_items.net_amount), 0) as net_amount
    from invoices
    left join invoice_items
        on invoices.invoice_id = invoice_items.invoice_id
    group by invoices.invoice_id, invoices.net_amount
    having invoices.net_amount - coalesce(sum(invoice_items.net_amount), 0) <> 0

),

intake as (

    select
        order_lines.order_date as date_day,
        order_lines.customer_region,
        order_lines.product_category,
        order_lines.customer_grade,
        order_lines.owner_employee_id,
        sum(order_lines.net_amount) as order_intake,
        sum(case when first_lines.sales_order_id is null then 0 else 1 end) as order_count,
        0 as turnover,
        0 as credit_note_amount,
        0 as otd_due_lines,
        0 as otd_on_time_lines,
        0 as otif_due_orders,
        0 as otif_orders,
        0 as delivered_net_sales,
        0 as delivered_cogs
    from order_lines
    left join first_lines
        on order_lines.sales_order_line_id = first_lines.sales_order_line_id
    where
        not order_lines.is_cancelled
        and {{ keys_condition('order_lines.order_date', days) or 'true' }}
    group by 1, 2, 3, 4, 5

),

invoiced as (

    select
        invoices.issue_date as date_day,
        coalesce(order_lines.customer_region, order_cells.customer_region, 'unknown') as customer_region,
        coalesce(order_lines.product_category, 'unknown') as product_category,
        coalesce(order_lines.customer_grade, order_cells.customer_grade, '?') as customer_grade,
        coalesce(order_lines.owner_employee_id, order_cells.owner_employee_id, -1) as owner_employee_id,
        0 as order_intake,
        0 as order_count,
        sum(items.net_amount) as turnover,
        sum(case when invoices.is_credit_note then items.net_amount else 0 end) as credit_note_amount,
        0 as otd_due_lines,
        0 as otd_on_time_lines,
        0 as otif_due_orders,
        0 as otif_orders,
        0 as delivered_net_sales,
        0 as delivered_cogs
    from (
        select * from invoice_items
        union all
        select * from invoice_remainders
    ) as items
    inner join invoices
        on items.invoice_id = invoices.invoice_id
    left join order_lines
        on items.sales_order_line_id = order_lines.sales_order_line_id
    left join order_cells
        on invoices.sales_order_id = order_cells.sales_order_id
    group by 1, 2, 3, 4, 5

),

otd as (

    select
        promised_date as date_day,
        customer_region,
        product_category,
        customer_grade,
        owner_employee_id,
        0 as order_intake,
        0 as order_count,
        0 as turnover,
        0 as credit_note_amount,
        count(*) as otd_due_lines,
        sum(case when is_delivered_in_full_on_time then 1 else 0 end) as otd_on_time_lines,
        0 as otif_due_orders,
        0 as otif_orders,
        0 as delivered_net_sales,
        0 as delivered_cogs
    from order_lines
    where
        is_otd_due
        and {{ keys_condition('promised_date', days) or 'true' }}
    group by 1, 2, 3, 4, 5

),

otif as (

    select
        orders.due_date as date_day,
        coalesce(order_cells.customer_region, 'unknown') as customer_region,
        coalesce(order_cells.product_category, 'unknown') as product_category,
        coalesce(order_cells.customer_grade, '?') as customer_grade,
        coalesce(order_cells.owner_employee_id, -1) as owner_employee_id,
        0 as order_intake,
        0 as order_count,
        0 as turnover,
        0 as credit_note_amount,
        0 as otd_due_lines,
        0 as otd_on_time_lines,
        count(*) as otif_due_orders,
        sum(case when orders.is_on_time_in_full then 1 else 0 end) as otif_orders,
        0 as delivered_net_sales,
        0 as delivered_cogs
    from orders
    left join order_cells
        on orders.sales_order_id = order_cells.sales_order_id
    where
        orders.is_otif_due
        and {{ keys_condition('orders.due_date', days) or 'true' }}
    group by 1, 2, 3, 4, 5

),

delivered as (

    select
        delivered_date as date_day,
        customer_region,
        product_category,
        customer_grade,
        owner_employee_id,
        0 as order_intake,
        0 as order_count,
        0 as turnover,
        0 as credit_note_amount,
        0 as otd_due_lines,
        0 as otd_on_time_lines,
        0 as otif_due_orders,
        0 as otif_orders,
        sum(net_amount) as delivered_net_sales,
        sum(cost_amount) as delivered_cogs
    from deliveries
    where
        is_delivered
        and not is_order_cancelled
        and {{ keys_condition('delivered_date', days) or 'true' }}
    group by 1, 2, 3, 4, 5

),

unioned as (

    select * from intake
    union all
    select * from invoiced
    union all
    select * from otd
    union all
    select * from otif
    union all
    select * from delivered

),

final as (

    -- only dates of the dim_dates spine, as rpt_kpi_daily always counted
    select
        unioned.date_day,
        unioned.customer_region,
        unioned.product_category,
        unioned.customer_grade,
        unioned.owner_employee_id,
        employees.employee_code as owner_employee_code,
        employees.employee_name as owner_name,
        {{ money('sum(unioned.order_intake)') }} as order_intake,
        cast(sum(unioned.order_count) as integer) as order_count,
        {{ money('sum(unioned.turnover)') }} as turnover,
        {{ money('sum(unioned.credit_note_amount)') }} as credit_note_amount,
        cast(sum(unioned.otd_due_lines) as integer) as otd_due_lines,
        cast(sum(unioned.otd_on_time_lines) as integer) as otd_on_time_lines,
        cast(sum(unioned.otif_due_orders) as integer) as otif_due_orders,
        cast(sum(unioned.otif_orders) as integer) as otif_orders,
        {{ money('sum(unioned.delivered_net_sales)') }} as delivered_net_sales,
        {{ money('sum(unioned.delivered_cogs)') }} as delivered_cogs
    from unioned
    inner join dates
        on unioned.date_day = dates.date_day
    left join employees
        on unioned.owner_employee_id = employees.employee_id
    group by 1, 2, 3, 4, 5, 6, 7

)

-- stored in date_day order: a period's rows sit together, so DuckDB skips the rest
select * from final
order by date_day
