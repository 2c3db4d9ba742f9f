{#- Customer attributes valid at any moment, from the customer snapshot; the first
    captured version is extended back to the beginning of time. -#}
with

snapshot as (

    select * from {{ ref('snap_customers') }}

),

versions as (

    select
        customer_id,
        coalesce(region, 'unknown') as region,
        customer_grade,
        coalesce(industry, 'unknown') as industry,
        owner_employee_id,
        cast(dbt_valid_from as timestamp) as valid_from_at,
        cast(dbt_valid_to as timestamp) as valid_to_at,
        row_number() over (partition by customer_id order by dbt_valid_from) as version_number
    from snapshot

),

final as (

    select
        customer_id,
        version_number,
        region,
        customer_grade,
        industry,
        owner_employee_id,
        case
            when version_number = 1 then cast('1900-01-01' as timestamp)
            else valid_from_at
        end as valid_from_at,
        coalesce(valid_to_at, cast('9999-12-31' as timestamp)) as valid_to_at
    from versions

)

select * from final
