with

source as (

    select
        id,
        created_at,
        updated_at,
        code,
        company_name,
        contact_name,
        region,
        industry,
        source_channel,
        campaign_id,
        owner_id,
        status,
        customer_id,
        opportunity_id,
        converted_at
    from {{ source('operational', 'lead') }}

),

renamed as (

    select
        id as lead_id,
        code as lead_code,
        company_name,
        contact_name,
        region,
        industry,
        source_channel,
        campaign_id,
        owner_id as owner_employee_id,
        status as lead_status,
        customer_id,
        opportunity_id,
        converted_at,
        {{ to_local_date('converted_at') }} as converted_date,
        {{ to_local_date('created_at') }} as created_date,
        created_at,
        updated_at
    from source

)

select * from renamed
