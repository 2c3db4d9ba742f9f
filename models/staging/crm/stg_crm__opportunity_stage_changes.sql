with

source as (

    select
        id,
        created_at,
        updated_at,
        opportunity_id,
        from_stage,
        to_stage,
        changed_at
    from {{ source('operational', 'opportunity_stage_change') }}

),

renamed as (

    select
        id as opportunity_stage_change_id,
        opportunity_id,
        from_stage,
        to_stage,
        changed_at,
        {{ to_local_date('changed_at') }} as changed_date,
        created_at,
        updated_at
    from source

)

select * from renamed
