{#- A daily spine from 1 January of the earliest business date to 31 December of the
    later of the latest business date and the as-of date. Portable: a powers-of-two
    number series (dbt.generate_series) instead of DuckDB's range(). -#}
with

orders as (

    select order_date as business_date from {{ ref('stg_erp__sales_orders') }}

),

invoices as (

    select issue_date as business_date from {{ ref('stg_erp__invoices') }}

),

deliveries as (

    {#- Deliveries and stock movements have timestamps, turned into local dates by their
        staging models: the earliest and latest timestamp are converted here, not all of
        them (a million time zone conversions for two dates). Only the years count, and
        local time never runs backwards across New Year, so their years are those of the
        local dates. #}
    {{ local_date_bounds(ref('stg_erp__deliveries'), 'delivered_at') }}

),

payments as (

    select paid_date as business_date from {{ ref('stg_erp__payments') }}

),

stock_movements as (

    {{ local_date_bounds(ref('stg_erp__stock_movements'), 'moved_at') }}

),

numbers as (

    {{ dbt.generate_series(16384) }}

),

business_dates as (

    select business_date from orders
    union all
    select business_date from invoices
    union all
    select business_date from deliveries
    union all
    select business_date from payments
    union all
    select business_date from stock_movements
    union all
    select {{ as_of_date() }} as business_date

),

bounds as (

    select
        cast({{ dbt.date_trunc('year', 'min(business_date)') }} as date) as start_date,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('year', 1, dbt.date_trunc('year', 'max(business_date)'))) }} as date) as end_date
    from business_dates

),

spine as (

    select cast({{ dbt.dateadd('day', 'numbers.generated_number - 1', 'bounds.start_date') }} as date) as date_day
    from numbers
    cross join bounds
    where numbers.generated_number - 1 <= {{ dbt.datediff('bounds.start_date', 'bounds.end_date', 'day') }}

),

parts as (

    select
        date_day,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(quarter from date_day) as integer) as calendar_quarter,
        cast(extract(month from date_day) as integer) as calendar_month,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(isodow from date_day) as integer) as iso_day_of_week,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start_date,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start_date,
        -- months since the fiscal year started (0-11)
        mod(cast(extract(month from date_day) as integer) + 12 - {{ var('fiscal_year_start_month') }}, 12) as fiscal_month_index
    from spine

),

final as (

    select
        date_day,
        calendar_year,
        calendar_quarter,
        calendar_month,
        day_of_month,
        iso_day_of_week,
        iso_day_of_week >= 6 as is_weekend,
        week_start_date,
        month_start_date,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start_date')) }} as date) as month_end_date,
        quarter_start_date,
        year_start_date,
        cast(calendar_year as {{ dbt.type_string() }}) || '-' || lpad(cast(calendar_month as {{ dbt.type_string() }}), 2, '0') as year_month,
        -- fiscal years are named by the calendar year in which they end
        calendar_year + case when {{ var('fiscal_year_start_month') }} > 1 and calendar_month >= {{ var('fiscal_year_start_month') }} then 1 else 0 end as fiscal_year,
        fiscal_month_index + 1 as fiscal_month,
        cast(floor(fiscal_month_index / 3.0) as integer) + 1 as fiscal_quarter,
        cast({{ dbt.dateadd('year', -1, 'date_day') }} as date) as same_day_last_year,
        date_day <= {{ as_of_date() }} as is_past_or_today
    from parts

)

select * from final
