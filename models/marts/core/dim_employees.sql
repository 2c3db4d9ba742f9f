with

employees as (

    select * from {{ ref('stg_crm__employees') }}

),

known as (

    select
        employee_id,
        employee_code,
        employee_name,
        department,
        email,
        is_active
    from employees

),

unknown as (

    select
        -1 as employee_id,
        'UNKNOWN' as employee_code,
        'Unassigned' as employee_name,
        'unknown' as department,
        cast(null as {{ dbt.type_string() }}) as email,
        false as is_active

),

final as (

    select * from known
    union all
    select * from unknown

)

select * from final
