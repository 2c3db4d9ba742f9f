with

source as (

    select
        id,
        created_at,
        updated_at,
        code,
        name,
        department,
        email,
        is_active
    from {{ source('operational', 'employee') }}

),

renamed as (

    select
        id as employee_id,
        code as employee_code,
        name as employee_name,
        department,
        email,
        is_active,
        created_at,
        updated_at
    from source

)

select * from renamed
