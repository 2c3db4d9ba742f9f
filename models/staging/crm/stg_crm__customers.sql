with

source as (

    select
        id,
        created_at,
        updated_at,
        code,
        name,
        kind,
        industry,
        region,
        grade,
        owner_id,
        credit_limit
    from {{ source('operational', 'customer') }}

),

renamed as (

    select
        id as customer_id,
        code as customer_code,
        name as customer_name,
        kind as customer_kind,
        industry,
        region,
        grade as customer_grade,
        owner_id as owner_employee_id,
        credit_limit,
        created_at,
        updated_at
    from source

)

select * from renamed
