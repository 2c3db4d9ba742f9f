with

products as (

    select * from {{ ref('stg_erp__products') }}

),

suppliers as (

    select * from {{ ref('stg_erp__suppliers') }}

),

known as (

    select
        products.product_id,
        products.sku,
        products.product_name,
        products.product_category,
        products.unit,
        products.list_price,
        products.standard_cost,
        products.reorder_point,
        products.lead_time_days,
        coalesce(products.supplier_id, -1) as supplier_id,
        suppliers.supplier_name,
        products.is_active
    from products
    left join suppliers
        on products.supplier_id = suppliers.supplier_id

),

unknown as (

    select
        -1 as product_id,
        'UNKNOWN' as sku,
        'Unknown product' as product_name,
        'unknown' as product_category,
        'unknown' as unit,
        cast(0 as decimal(18, 2)) as list_price,
        cast(0 as decimal(18, 2)) as standard_cost,
        cast(0 as decimal(16, 3)) as reorder_point,
        0 as lead_time_days,
        -1 as supplier_id,
        'Unknown supplier' as supplier_name,
        false as is_active

),

final as (

    select * from known
    union all
    select * from unknown

)

select * from final
