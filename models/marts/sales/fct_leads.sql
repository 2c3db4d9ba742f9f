with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

employees as (

    select employee_id from {{ ref('dim_employees') }}

),

final as (

    select
        leads.lead_id,
        leads.lead_code,
        leads.company_name,
        leads.source_channel,
        leads.campaign_id,
        coalesce(employees.employee_id, -1) as owner_employee_id,
        leads.region,
        leads.lead_status,
        leads.created_at,
        leads.created_date,
        cast({{ dbt.date_trunc('month', 'leads.created_date') }} as date) as created_month,
        -- DOMAIN.md: a lead converts when it became a customer
        leads.customer_id is not null and leads.lead_status = 'converted' as is_converted,
        leads.customer_id,
        leads.opportunity_id,
        leads.converted_at,
        leads.converted_date,
        {{ dbt.datediff('leads.created_date', 'leads.converted_date', 'day') }} as days_to_convert
    from leads
    left join employees
        on leads.owner_employee_id = employees.employee_id

)

select * from final
