with

source as (

    select
        id,
        created_at,
        updated_at,
        code,
        name,
        region,
        contact_name,
        phone
    from {{ source('operational', 'supplier') }}

),

renamed as (

    select
        id as supplier_id,
        code as supplier_code,
        name as supplier_name,
        region,
        contact_name,
        phone,
        created_at,
        updated_at
    from source

)

select * from renamed
