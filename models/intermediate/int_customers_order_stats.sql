with

order_lines as (

    select * from {{ ref('int_order_lines_joined_to_orders') }}

),

booked as (

    select *
    from order_lines
    where not is_cancelled

),

aggregated as (

    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(distinct sales_order_id) as lifetime_order_count,
        sum(net_amount) as lifetime_net_sales,
        sum(
            case
                when
                    order_date > cast({{ dbt.dateadd('day', -365, as_of_date()) }} as date)
                    and order_date <= {{ as_of_date() }}
                    then net_amount
                else 0
            end
        ) as last_365d_net_sales
    from booked
    group by customer_id

)

select * from aggregated
