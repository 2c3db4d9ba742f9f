with

source as (

    select
        id,
        created_at,
        updated_at,
        product_id,
        kind,
        quantity,
        moved_at,
        unit_cost,
        balance_after,
        reference_type,
        reference_id,
        note
    from {{ source('operational', 'stock_movement') }}

),

renamed as (

    select
        id as stock_movement_id,
        product_id,
        kind as movement_kind,
        quantity,
        {{ cost_amount('quantity', 'unit_cost') }} as movement_value,
        moved_at,
        {{ to_local_date('moved_at') }} as moved_date,
        unit_cost,
        balance_after,
        reference_type,
        reference_id,
        note,
        created_at,
        updated_at
    from source

)

select * from renamed
