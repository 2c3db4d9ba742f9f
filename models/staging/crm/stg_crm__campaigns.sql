with

source as (

    select
        id,
        created_at,
        updated_at,
        code,
        name,
        channel,
        cost,
        start_date,
        end_date
    from {{ source('operational', 'campaign') }}

),

renamed as (

    select
        id as campaign_id,
        code as campaign_code,
        name as campaign_name,
        channel as campaign_channel,
        cost as campaign_cost,
        start_date,
        end_date,
        created_at,
        updated_at
    from source

)

select * from renamed
