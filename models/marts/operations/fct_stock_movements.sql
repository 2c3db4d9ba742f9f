with

movements as (

    select * from {{ ref('stg_erp__stock_movements') }}

),

products as (

    select
        product_id,
        product_category
    from {{ ref('dim_products') }}

),

final as (

    select
        movements.stock_movement_id,
        coalesce(products.product_id, -1) as product_id,
        coalesce(products.product_category, 'unknown') as product_category,
        movements.movement_kind,
        movements.quantity,
        movements.unit_cost,
        movements.movement_value,
        movements.moved_at,
        movements.moved_date,
        movements.balance_after,
        -- outbound to customers (slow-moving is judged on these)
        movements.movement_kind = 'shipment' as is_outbound_sale,
        movements.reference_type,
        movements.reference_id
    from movements
    left join products
        on movements.product_id = products.product_id

)

select * from final
