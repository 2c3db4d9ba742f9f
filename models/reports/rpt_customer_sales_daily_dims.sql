{#- Booked sales per customer, order date and the main dimensions (customer region and grade
    as valid on the order date, product category, the order's sales owner), orders not
    cancelled. order_count counts each order once, in the cell of its first line: it adds up
    over regions, grades and owners, not over categories. Orders whose customer is missing
    carry the unknown member (customer_id -1). -#}
-- Incremental (config in _reports__models.yml): a refresh rebuilds only the customers of
-- the orders it touched (macros/changed_rows.sql). Rows added so come after the sorted ones
-- until the next full build.
{%- set customers = changed_customers() %}

with

order_lines as (

    select * from {{ ref('fct_order_lines') }}
    {{ keys_filter('customer_id', customers) }}

),

customers as (

    select
        customer_id,
        customer_code,
        customer_name
    from {{ ref('dim_customers') }}

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

cells as (

    select
        order_lines.customer_id,
        order_lines.order_date,
        order_lines.customer_region,
        order_lines.product_category,
        order_lines.customer_grade,
        order_lines.owner_employee_id,
        sum(order_lines.net_amount) as net_sales,
        sum(order_lines.cost_amount) as cogs,
        sum(case when first_lines.sales_order_line_id is null then 0 else 1 end) as order_count
    from order_lines
    left join first_lines
        on order_lines.sales_order_line_id = first_lines.sales_order_line_id
    where not order_lines.is_cancelled
    group by 1, 2, 3, 4, 5, 6

),

final as (

    select
        cells.customer_id,
        customers.customer_code,
        customers.customer_name,
        cells.order_date,
        cells.customer_region,
        cells.product_category,
        cells.customer_grade,
        cells.owner_employee_id,
        employees.employee_code as owner_employee_code,
        employees.employee_name as owner_name,
        {{ money('cells.net_sales') }} as net_sales,
        {{ money('cells.cogs') }} as cogs,
        cast(cells.order_count as integer) as order_count
    from cells
    inner join customers
        on cells.customer_id = customers.customer_id
    left join employees
        on cells.owner_employee_id = employees.employee_id

)

-- stored in order_date order: a period's rows sit together, so DuckDB skips the rest
select * from final
order by order_date
