{#- Stock below its reorder point: the stock position (on hand - reserved - backorders + on
    order from suppliers) of an active product is under its reorder point. Suggested purchase
    = the shortfall to the reorder point + sales velocity x supplier lead time + safety stock
    (velocity x var reorder_safety_days), rounded up to whole units. Drafts do not count as
    on order: the write-back's draft purchase order clears the finding once it is placed. -#}
{%- set txt = dbt.type_string() -%}
{%- set safety_days = var('reorder_safety_days', 7) -%}
{%- set response_days = var('action_response_days', {}).get('stock_below_reorder_point', 2) -%}

with

positions as (

    select * from {{ ref('int_action_stock_positions') }}
    where
        is_active
        and reorder_point > 0
        and stock_position < reorder_point

),

employees as (

    select employee_id from {{ ref('dim_employees') }}
    where is_active and employee_id <> -1

),

owners as (

    select employee_id from {{ ref('int_action_owners') }}
    where department = 'purchasing'

),

sized as (

    select
        positions.*,
        cast(positions.daily_velocity * positions.lead_time_days as decimal(18, 3))
            as lead_time_demand,
        cast(positions.daily_velocity * {{ safety_days }} as decimal(18, 3)) as safety_stock,
        cast(positions.reorder_point - positions.stock_position as decimal(18, 3))
            as shortfall_quantity
    from positions

),

suggested as (

    select
        sized.*,
        cast(
            ceil(sized.shortfall_quantity + sized.lead_time_demand + sized.safety_stock)
            as decimal(18, 3)
        ) as suggested_quantity
    from sized

),

final as (

    select
        'stock_below_reorder_point:product:' || cast(suggested.product_id as {{ txt }})
            as rule_key,
        'stock_below_reorder_point' as rule,
        'product' as reference_type,
        suggested.product_id as reference_id,
        coalesce(employees.employee_id, owners.employee_id, -1) as owner_employee_id,
        'Reorder ' || suggested.sku || ' ' || suggested.product_name as title,
        'Stock position ' || cast(suggested.stock_position as {{ txt }})
        || ' (on hand ' || cast(suggested.on_hand_quantity as {{ txt }})
        || ' - reserved ' || cast(suggested.reserved_quantity as {{ txt }})
        || ' - backorders ' || cast(suggested.backorder_quantity as {{ txt }})
        || ' + on order ' || cast(suggested.on_order_quantity as {{ txt }})
        || ') is below the reorder point ' || cast(suggested.reorder_point as {{ txt }})
        || '. Suggest ' || cast(suggested.suggested_quantity as {{ txt }})
        || ' ' || suggested.unit || ' from '
        || coalesce(suggested.supplier_name, 'an unknown supplier')
        || ' = shortfall ' || cast(suggested.shortfall_quantity as {{ txt }})
        || ' + ' || cast(suggested.lead_time_days as {{ txt }}) || ' days lead time x '
        || cast(suggested.daily_velocity as {{ txt }}) || '/day sold (last '
        || cast(suggested.velocity_days as {{ txt }}) || ' days) + '
        || '{{ safety_days }} days safety stock, rounded up.' as reason,
        case
            when
                suggested.on_hand_quantity - suggested.reserved_quantity
                - suggested.backorder_quantity <= 0 then 'high'
            else 'medium'
        end as severity,
        {{ cost_amount('suggested.suggested_quantity', 'suggested.standard_cost') }} as amount,
        cast({{ dbt.dateadd('day', response_days, as_of_date()) }} as date) as due_date,
        '{"product_id": ' || cast(suggested.product_id as {{ txt }})
        || ', "supplier_id": ' || cast(suggested.supplier_id as {{ txt }})
        || ', "suggested_quantity": "' || cast(suggested.suggested_quantity as {{ txt }})
        || '", "unit_cost": "' || cast(suggested.standard_cost as {{ txt }})
        || '", "lead_time_days": ' || cast(suggested.lead_time_days as {{ txt }})
        || ', "stock_position": "' || cast(suggested.stock_position as {{ txt }})
        || '", "reorder_point": "' || cast(suggested.reorder_point as {{ txt }})
        || '"}' as details
    from suggested
    left join employees
        on suggested.last_buyer_employee_id = employees.employee_id
    left join owners
        on 1 = 1

)

select * from final
