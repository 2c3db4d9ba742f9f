{#- Funnel by month, owner and region: leads created (and how many of them converted,
    credited to the month the lead was created), opportunities created, won and lost (by
    close month). A lead's region is the one entered on the lead (it may have no customer
    yet); an opportunity's is its customer's as valid on its creation date. -#}
with

leads as (

    select * from {{ ref('fct_leads') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

lead_months as (

    select
        created_month as month_start_date,
        owner_employee_id,
        coalesce(region, 'unknown') as customer_region,
        count(*) as leads_created,
        sum(case when is_converted then 1 else 0 end) as leads_converted,
        0 as opportunities_created,
        0 as opportunities_won,
        0 as opportunities_lost,
        0 as won_amount
    from leads
    group by 1, 2, 3

),

created_months as (

    select
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as month_start_date,
        owner_employee_id,
        customer_region,
        0 as leads_created,
        0 as leads_converted,
        count(*) as opportunities_created,
        0 as opportunities_won,
        0 as opportunities_lost,
        0 as won_amount
    from opportunities
    group by 1, 2, 3

),

closed_months as (

    select
        cast({{ dbt.date_trunc('month', 'closed_date') }} as date) as month_start_date,
        owner_employee_id,
        customer_region,
        0 as leads_created,
        0 as leads_converted,
        0 as opportunities_created,
        sum(case when is_won then 1 else 0 end) as opportunities_won,
        sum(case when is_lost then 1 else 0 end) as opportunities_lost,
        sum(case when is_won then opportunity_amount else 0 end) as won_amount
    from opportunities
    where is_closed
    group by 1, 2, 3

),

unioned as (

    select * from lead_months
    union all
    select * from created_months
    union all
    select * from closed_months

),

final as (

    select
        month_start_date,
        owner_employee_id,
        customer_region,
        cast(sum(leads_created) as integer) as leads_created,
        cast(sum(leads_converted) as integer) as leads_converted,
        cast(sum(opportunities_created) as integer) as opportunities_created,
        cast(sum(opportunities_won) as integer) as opportunities_won,
        cast(sum(opportunities_lost) as integer) as opportunities_lost,
        {{ money('sum(won_amount)') }} as won_amount
    from unioned
    group by 1, 2, 3

)

select * from final
