{#- Product master data history (standard cost, price, category, supplier): facts cost
    goods at the standard cost valid when they moved. `check` strategy, so a change is
    captured at the refresh after it happens; timestamps are the build clock (UTC). -#}
{% snapshot snap_products %}

{{
    config(
        unique_key='product_id',
        strategy='check',
        check_cols=['standard_cost', 'list_price', 'product_category', 'supplier_id', 'is_active'],
        hard_deletes='invalidate',
    )
}}

select
    product_id,
    sku,
    product_name,
    product_category,
    unit,
    list_price,
    standard_cost,
    supplier_id,
    is_active
from {{ ref('stg_erp__products') }}

{% endsnapshot %}
