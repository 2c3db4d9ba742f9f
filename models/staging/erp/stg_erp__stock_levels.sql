with

source as (

    select
        id,
        created_at,
        updated_at,
        product_id,
        on_hand,
        reserved
    from {{ source('operational', 'stock_level') }}

),

renamed as (

    select
        id as stock_level_id,
        product_id,
        on_hand as on_hand_quantity,
        reserved as reserved_quantity,
        created_at,
        updated_at
    from source

)

select * from renamed
