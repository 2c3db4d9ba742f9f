with

deliveries as (

    select * from {{ ref('stg_erp__deliveries') }}

),

order_lines as (

    select * from {{ ref('int_order_lines_joined_to_orders') }}

),

aggregated as (

    select
        deliveries.sales_order_line_id,
        -- the line's order, so a filter on it (incremental builds) reaches the scans
        deliveries.sales_order_id,
        cast(sum(deliveries.quantity) as decimal(18, 3)) as shipped_quantity,
        cast(sum(
            case when deliveries.delivered_at is not null then deliveries.quantity else 0 end
        ) as decimal(18, 3)) as delivered_quantity,
        -- delivered on or before the promised date (local calendar dates)
        cast(sum(
            case
                when deliveries.delivered_date <= order_lines.promised_date
                    then deliveries.quantity
                else 0
            end
        ) as decimal(18, 3)) as on_time_delivered_quantity,
        min(deliveries.shipped_date) as first_shipped_date,
        min(deliveries.delivered_date) as first_delivered_date,
        max(deliveries.delivered_date) as last_delivered_date,
        count(*) as delivery_count
    from deliveries
    inner join order_lines
        on deliveries.sales_order_line_id = order_lines.sales_order_line_id
    group by deliveries.sales_order_line_id, deliveries.sales_order_id

)

select * from aggregated
