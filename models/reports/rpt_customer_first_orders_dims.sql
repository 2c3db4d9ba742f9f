{#- When each customer first ordered in each cell of the main dimensions (customer region and
    grade as valid on the order date, product category, the order's sales owner), orders not
    cancelled: the customers "with at least one order up to D" of average LTV, whole or cut
    by any dimensions, as a count over ~1 row per customer and cell instead of a group-by
    over every day of rpt_customer_sales_daily_dims (a twelve-month sparkline asks twelve);
    not cut at all, as a count of one row per customer. -#}
-- Incremental (config in _reports__models.yml): a refresh rebuilds only the customers of
-- the orders it touched (macros/changed_rows.sql). Rows added so come after the sorted ones
-- until the next full build.
{%- set customers = changed_customers() %}

with

cells as (

    select * from {{ ref('rpt_customer_sales_daily_dims') }}
    {{ keys_filter('customer_id', customers) }}

),

firsts as (

    select
        customer_id,
        customer_region,
        product_category,
        customer_grade,
        owner_employee_id,
        owner_employee_code,
        min(order_date) as first_order_date
    from cells
    group by 1, 2, 3, 4, 5, 6

),

final as (

    -- one cell per customer holds its first order overall: customers up to D, not cut by
    -- any dimension, are a count of those rows (no distinct)
    select
        *,
        row_number() over (
            partition by customer_id
            order by
                first_order_date, customer_region, product_category, customer_grade,
                owner_employee_id
        ) = 1 as is_customers_first
    from firsts

)

-- stored in first_order_date order: "first ordered on or before D" skips the rest
select * from final
order by first_order_date
