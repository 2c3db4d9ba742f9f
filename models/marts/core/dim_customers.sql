-- Incremental (config in _core__models.yml): a refresh rebuilds only the customers of the
-- orders it touched (macros/changed_rows.sql); every customer when anything else they read
-- changed (a customer, an employee) or on a new day (the segment looks back from the as-of
-- date).
{%- set customers = changed_customers() %}

with

customers as (

    select * from {{ ref('stg_crm__customers') }}
    {{ keys_filter('customer_id', customers) }}

),

employees as (

    select * from {{ ref('stg_crm__employees') }}

),

order_stats as (

    select * from {{ ref('int_customers_order_stats') }}
    {{ keys_filter('customer_id', customers) }}

),

known as (

    select
        customers.customer_id,
        customers.customer_code,
        customers.customer_name,
        customers.customer_kind,
        coalesce(customers.industry, 'unknown') as industry,
        coalesce(customers.region, 'unknown') as region,
        customers.customer_grade,
        customers.owner_employee_id,
        employees.employee_name as owner_name,
        customers.credit_limit,
        order_stats.first_order_date,
        order_stats.last_order_date,
        coalesce(order_stats.lifetime_order_count, 0) as lifetime_order_count,
        coalesce(order_stats.lifetime_net_sales, 0) as lifetime_net_sales,
        -- segment by net sales of the last 365 days before the as-of date
        case
            when order_stats.first_order_date is null then 'prospect'
            when coalesce(order_stats.last_365d_net_sales, 0) >= {{ var('segment_key_account_min_sales') }} then 'key_account'
            when coalesce(order_stats.last_365d_net_sales, 0) >= {{ var('segment_regular_min_sales') }} then 'regular'
            when order_stats.last_365d_net_sales is null or order_stats.last_365d_net_sales = 0 then 'lapsed'
            else 'occasional'
        end as segment,
        customers.created_at
    from customers
    left join employees
        on customers.owner_employee_id = employees.employee_id
    left join order_stats
        on customers.customer_id = order_stats.customer_id

),

unknown as (

    select
        -1 as customer_id,
        'UNKNOWN' as customer_code,
        'Unknown customer' as customer_name,
        'unknown' as customer_kind,
        'unknown' as industry,
        'unknown' as region,
        '?' as customer_grade,
        cast(null as bigint) as owner_employee_id,
        cast(null as {{ dbt.type_string() }}) as owner_name,
        cast(0 as decimal(18, 2)) as credit_limit,
        cast(null as date) as first_order_date,
        cast(null as date) as last_order_date,
        0 as lifetime_order_count,
        cast(0 as decimal(18, 2)) as lifetime_net_sales,
        'unknown' as segment,
        cast(null as timestamp) as created_at

),

final as (

    select * from known
    union all
    select * from unknown

)

-- the unknown member (-1) is among the customers rebuilt; the filters above prune the scans
select * from final
{{ keys_filter('customer_id', customers) }}
