{#- Delivery at risk: a line of a confirmed order with quantity left to ship, and either
    - due soon: its promised date (the line's, else the order's) is within
      var delivery_risk_days of the as-of date, or already past; or
    - short of stock: what its reservation does not cover exceeds the free stock left after
      lines promised earlier (free = on hand - all reservations), and a purchase ordered
      today would arrive after the promised date (as-of + supplier lead time).
    The promised date is the episode in the rule key: a new promise is a new finding. -#}
{%- set txt = dbt.type_string() -%}
{%- set risk_days = var('delivery_risk_days', 3) -%}
{%- set alert_until = dbt.dateadd('day', risk_days, as_of_date()) -%}
{%- set response_days = var('action_response_days', {}).get('delivery_at_risk', 1) -%}

with

order_lines as (

    select * from {{ ref('fct_order_lines') }}
    where
        order_status = 'confirmed'
        and quantity > shipped_quantity

),

store_order_lines as (

    select
        sales_order_line_id,
        reserved_quantity
    from {{ ref('stg_erp__sales_order_lines') }}

),

positions as (

    select * from {{ ref('int_action_stock_positions') }}

),

customers as (

    select
        customer_id,
        customer_name
    from {{ ref('dim_customers') }}

),

employees as (

    select employee_id from {{ ref('dim_employees') }}
    where is_active and employee_id <> -1

),

owners as (

    select employee_id from {{ ref('int_action_owners') }}
    where department = 'sales'

),

open_lines as (

    select
        order_lines.*,
        cast(
            order_lines.quantity - order_lines.shipped_quantity as decimal(18, 3)
        ) as open_quantity,
        cast(
            case
                when
                    order_lines.quantity - order_lines.shipped_quantity
                    > coalesce(store_order_lines.reserved_quantity, 0)
                    then
                        order_lines.quantity - order_lines.shipped_quantity
                        - coalesce(store_order_lines.reserved_quantity, 0)
                else 0
            end as decimal(18, 3)
        ) as uncovered_quantity
    from order_lines
    left join store_order_lines
        on order_lines.sales_order_line_id = store_order_lines.sales_order_line_id

),

allocated as (

    -- free stock goes to the uncovered lines in the order they were promised
    select
        open_lines.*,
        positions.sku,
        coalesce(positions.lead_time_days, 0) as lead_time_days,
        cast(
            coalesce(positions.on_hand_quantity, 0) - coalesce(positions.reserved_quantity, 0)
            as decimal(18, 3)
        ) as free_quantity,
        sum(open_lines.uncovered_quantity) over (
            partition by open_lines.product_id
            order by open_lines.promised_date, open_lines.sales_order_line_id
            rows between unbounded preceding and current row
        ) as cumulative_uncovered_quantity
    from open_lines
    left join positions
        on open_lines.product_id = positions.product_id

),

judged as (

    select
        allocated.*,
        {{ dbt.datediff(as_of_date(), 'allocated.promised_date', 'day') }} as days_to_promise,
        coalesce(
            allocated.promised_date <= cast({{ alert_until }} as date),
            false
        ) as is_due_soon,
        (
            allocated.uncovered_quantity > 0
            and allocated.cumulative_uncovered_quantity > allocated.free_quantity
            and coalesce(
                allocated.promised_date
                < cast({{ dbt.dateadd('day', 'allocated.lead_time_days', as_of_date()) }} as date),
                true
            )
        ) as is_short
    from allocated

),

final as (

    select
        'delivery_at_risk:order_line:' || cast(judged.sales_order_line_id as {{ txt }})
        || ':promised:' || coalesce(cast(judged.promised_date as {{ txt }}), 'none')
            as rule_key,
        'delivery_at_risk' as rule,
        'sales_order' as reference_type,
        judged.sales_order_id as reference_id,
        coalesce(order_owner.employee_id, owners.employee_id, -1) as owner_employee_id,
        'Delivery at risk: ' || judged.order_no || ' line ' || cast(judged.line_no as {{ txt }})
        || ' (' || coalesce(customers.customer_name, 'unknown customer') || ')' as title,
        cast(judged.open_quantity as {{ txt }}) || ' of '
        || cast(judged.quantity as {{ txt }}) || ' ' || coalesce(judged.sku, '?')
        || ' not shipped'
        || case
            when judged.promised_date is null then ', no promised date'
            when judged.days_to_promise < 0
                then
                    ', promised '
                    || cast(judged.promised_date as {{ txt }}) || ' ('
                    || cast(-judged.days_to_promise as {{ txt }}) || ' days late)'
            else
                ', promised ' || cast(judged.promised_date as {{ txt }}) || ' (in '
                || cast(judged.days_to_promise as {{ txt }})
                || ' days; alert within {{ risk_days }})'
        end
        || case
            when judged.is_short
                then
                    '. Not enough stock: '
                    || cast(judged.uncovered_quantity as {{ txt }}) || ' not reserved, '
                    || cast(judged.free_quantity as {{ txt }})
                    || ' free in stock and earlier promises come first; a purchase today takes '
                    || cast(judged.lead_time_days as {{ txt }}) || ' days.'
            else '.'
        end as reason,
        case
            when judged.is_short or judged.days_to_promise < 0 then 'high'
            else 'medium'
        end as severity,
        {{ line_net_amount('judged.open_quantity', 'judged.unit_price', 'judged.discount_rate') }}
            as amount,
        cast({{ dbt.dateadd('day', response_days, as_of_date()) }} as date) as due_date,
        '{"sales_order_line_id": ' || cast(judged.sales_order_line_id as {{ txt }})
        || ', "product_id": ' || cast(judged.product_id as {{ txt }})
        || ', "open_quantity": "' || cast(judged.open_quantity as {{ txt }})
        || '", "is_due_soon": ' || case when judged.is_due_soon then 'true' else 'false' end
        || ', "is_short": ' || case when judged.is_short then 'true' else 'false' end
        || '}' as details
    from judged
    left join customers
        on judged.customer_id = customers.customer_id
    left join employees as order_owner
        on judged.owner_employee_id = order_owner.employee_id
    left join owners
        on 1 = 1
    where judged.is_due_soon or judged.is_short

)

select * from final
