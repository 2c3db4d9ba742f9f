{#- The product's standard cost valid at any moment, from the product snapshot.
    The first captured version is extended back to the beginning of time: before the
    warehouse existed, the earliest known cost is the best estimate. -#}
with

snapshot as (

    select * from {{ ref('snap_products') }}

),

versions as (

    select
        product_id,
        standard_cost,
        list_price,
        cast(dbt_valid_from as timestamp) as valid_from_at,
        cast(dbt_valid_to as timestamp) as valid_to_at,
        row_number() over (partition by product_id order by dbt_valid_from) as version_number
    from snapshot

),

final as (

    select
        product_id,
        version_number,
        standard_cost,
        list_price,
        case
            when version_number = 1 then cast('1900-01-01' as timestamp)
            else valid_from_at
        end as valid_from_at,
        coalesce(valid_to_at, cast('9999-12-31' as timestamp)) as valid_to_at
    from versions

)

select * from final
