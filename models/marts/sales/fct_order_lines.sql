-- Incremental (config in _sales__models.yml): a refresh rebuilds only the orders it
-- touched (macros/changed_rows.sql).
{%- set orders = changed_sales_orders() %}

with

order_lines as (

    select * from {{ ref('int_order_lines_joined_to_orders') }}
    {{ keys_filter('sales_order_id', orders) }}

),

deliveries as (

    select * from {{ ref('int_deliveries_aggregated_to_order_lines') }}
    {{ keys_filter('sales_order_id', orders) }}

),

product_costs as (

    select * from {{ ref('int_product_costs_versioned') }}

),

customer_versions as (

    select * from {{ ref('int_customers_versioned') }}

),

customers as (

    select customer_id from {{ ref('dim_customers') }}

),

products as (

    select
        product_id,
        product_category,
        standard_cost
    from {{ ref('dim_products') }}

),

employees as (

    select employee_id from {{ ref('dim_employees') }}

),

joined as (

    select
        order_lines.*,
        coalesce(customers.customer_id, -1) as dim_customer_id,
        coalesce(products.product_id, -1) as dim_product_id,
        coalesce(employees.employee_id, -1) as dim_owner_employee_id,
        coalesce(products.product_category, 'unknown') as product_category,
        coalesce(customer_versions.region, 'unknown') as customer_region,
        coalesce(customer_versions.customer_grade, '?') as customer_grade,
        -- standard cost valid on the order date (LTV / booked margin basis)
        {{ money('coalesce(product_costs.standard_cost, products.standard_cost, 0)') }} as standard_unit_cost,
        cast(coalesce(deliveries.shipped_quantity, 0) as decimal(18, 3)) as shipped_quantity,
        cast(coalesce(deliveries.delivered_quantity, 0) as decimal(18, 3)) as delivered_quantity,
        cast(coalesce(deliveries.on_time_delivered_quantity, 0) as decimal(18, 3)) as on_time_delivered_quantity,
        deliveries.first_delivered_date,
        deliveries.last_delivered_date
    from order_lines
    left join deliveries
        on order_lines.sales_order_line_id = deliveries.sales_order_line_id
    left join customers
        on order_lines.customer_id = customers.customer_id
    left join products
        on order_lines.product_id = products.product_id
    left join employees
        on order_lines.owner_employee_id = employees.employee_id
    left join product_costs
        on
            order_lines.product_id = product_costs.product_id
            and cast(order_lines.order_date as timestamp) >= product_costs.valid_from_at
            and cast(order_lines.order_date as timestamp) < product_costs.valid_to_at
    left join customer_versions
        on
            order_lines.customer_id = customer_versions.customer_id
            and cast(order_lines.order_date as timestamp) >= customer_versions.valid_from_at
            and cast(order_lines.order_date as timestamp) < customer_versions.valid_to_at

),

final as (

    select
        sales_order_line_id,
        sales_order_id,
        order_no,
        line_no,
        dim_customer_id as customer_id,
        dim_product_id as product_id,
        dim_owner_employee_id as owner_employee_id,
        customer_region,
        customer_grade,
        product_category,
        order_date,
        promised_date,
        order_status,
        is_cancelled,
        quantity,
        unit_price,
        discount_rate,
        tax_rate,
        net_amount,
        standard_unit_cost,
        {{ cost_amount('quantity', 'standard_unit_cost') }} as cost_amount,
        shipped_quantity,
        delivered_quantity,
        on_time_delivered_quantity,
        first_delivered_date,
        last_delivered_date,
        delivered_quantity >= quantity as is_delivered_in_full,
        -- OTD population: not cancelled, promised date known and not after the as-of date
        (not is_cancelled and promised_date is not null and promised_date <= {{ as_of_date() }}) as is_otd_due,
        on_time_delivered_quantity >= quantity as is_delivered_in_full_on_time
    from joined

)

select * from final
