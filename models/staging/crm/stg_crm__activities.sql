with

source as (

    select
        id,
        created_at,
        updated_at,
        kind,
        customer_id,
        opportunity_id,
        lead_id,
        employee_id,
        occurred_at,
        subject,
        next_follow_up_date
    from {{ source('operational', 'activity') }}

),

renamed as (

    select
        id as activity_id,
        kind as activity_kind,
        customer_id,
        opportunity_id,
        lead_id,
        employee_id,
        occurred_at,
        {{ to_local_date('occurred_at') }} as occurred_date,
        subject,
        next_follow_up_date,
        created_at,
        updated_at
    from source

)

select * from renamed
