{#- The receivables ledger (fct_receivable_events) summed per event date, item due date and
    the dimensions of the item's sales order: customer region and grade as valid on the
    order date and the order's sales owner (the same cell as its turnover). Receivables as of
    D = sum of changes dated on or before D; an ageing bucket filters on the due date. No
    product category: payments settle invoices, not products.

    Incremental by event date (macros/changed_rows.sql, changed_event_days): a refresh that
    touched a few orders rebuilds only the dates of their invoices' and payments' events. -#}
{%- set days = changed_event_days() %}
with

events as (

    select * from {{ ref('fct_receivable_events') }}
    {{ keys_filter('event_date', days) }}

),

invoices as (

    select
        invoice_id,
        sales_order_id
    from {{ ref('fct_invoices') }}

),

order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

employees as (

    select
        employee_id,
        employee_code,
        employee_name
    from {{ ref('dim_employees') }}

),

first_lines as (

    select min(sales_order_line_id) as sales_order_line_id
    from order_lines
    group by sales_order_id

),

order_cells as (

    select
        order_lines.sales_order_id,
        order_lines.customer_region,
        order_lines.customer_grade,
        order_lines.owner_employee_id
    from first_lines
    inner join order_lines
        on first_lines.sales_order_line_id = order_lines.sales_order_line_id

),

located as (

    select
        events.event_date,
        events.item_due_date,
        coalesce(order_cells.customer_region, 'unknown') as customer_region,
        coalesce(order_cells.customer_grade, '?') as customer_grade,
        coalesce(order_cells.owner_employee_id, -1) as owner_employee_id,
        events.amount,
        case when events.event_type in ('invoice', 'credit_note') then events.amount else 0 end as invoiced_amount
    from events
    left join invoices
        on events.item_invoice_id = invoices.invoice_id
    left join order_cells
        on invoices.sales_order_id = order_cells.sales_order_id

),

final as (

    select
        located.event_date,
        located.item_due_date,
        located.customer_region,
        located.customer_grade,
        located.owner_employee_id,
        employees.employee_code as owner_employee_code,
        employees.employee_name as owner_name,
        {{ money('sum(located.amount)') }} as receivable_change_amount,
        {{ money('sum(located.invoiced_amount)') }} as invoiced_gross_amount
    from located
    left join employees
        on located.owner_employee_id = employees.employee_id
    group by 1, 2, 3, 4, 5, 6, 7

)

-- stored in event_date order: a period's rows sit together, so DuckDB skips the rest
select * from final
order by event_date
