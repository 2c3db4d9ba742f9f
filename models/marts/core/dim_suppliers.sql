with

suppliers as (

    select * from {{ ref('stg_erp__suppliers') }}

),

known as (

    select
        supplier_id,
        supplier_code,
        supplier_name,
        coalesce(region, 'unknown') as region,
        contact_name,
        phone
    from suppliers

),

unknown as (

    select
        -1 as supplier_id,
        'UNKNOWN' as supplier_code,
        'Unknown supplier' as supplier_name,
        'unknown' as region,
        cast(null as {{ dbt.type_string() }}) as contact_name,
        cast(null as {{ dbt.type_string() }}) as phone

),

final as (

    select * from known
    union all
    select * from unknown

)

select * from final
