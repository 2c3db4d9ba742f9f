with

source as (

    select
        id,
        created_at,
        updated_at,
        customer_id,
        name,
        amount,
        expected_close_date,
        owner_id,
        lead_id,
        stage,
        stage_changed_at,
        last_activity_at,
        closed_at
    from {{ source('operational', 'opportunity') }}

),

renamed as (

    select
        id as opportunity_id,
        customer_id,
        name as opportunity_name,
        amount as opportunity_amount,
        expected_close_date,
        owner_id as owner_employee_id,
        lead_id,
        stage as opportunity_stage,
        stage_changed_at,
        last_activity_at,
        closed_at,
        {{ to_local_date('created_at') }} as created_date,
        {{ to_local_date('closed_at') }} as closed_date,
        created_at,
        updated_at
    from source

)

select * from renamed
