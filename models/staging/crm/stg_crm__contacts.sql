with

source as (

    select
        id,
        created_at,
        updated_at,
        customer_id,
        name,
        title,
        phone,
        email,
        is_primary
    from {{ source('operational', 'contact') }}

),

renamed as (

    select
        id as contact_id,
        customer_id,
        name as contact_name,
        title,
        phone,
        email,
        is_primary,
        created_at,
        updated_at
    from source

)

select * from renamed
