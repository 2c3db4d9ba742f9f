{#- Customer master data history (grade, region, owner, credit limit): facts join the
    version valid at the order date. -#}
{% snapshot snap_customers %}

{{
    config(
        unique_key='customer_id',
        strategy='check',
        check_cols=['customer_grade', 'region', 'industry', 'owner_employee_id', 'credit_limit', 'customer_kind'],
        hard_deletes='invalidate',
    )
}}

select
    customer_id,
    customer_code,
    customer_name,
    customer_kind,
    industry,
    region,
    customer_grade,
    owner_employee_id,
    credit_limit
from {{ ref('stg_crm__customers') }}

{% endsnapshot %}
