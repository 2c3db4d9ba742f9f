{#- From lead to cash (从线索到回款): one journey per lead, plus one per customer who came
    without a lead. Each stage holds when it was first reached: the opportunity (the lead's,
    else the customer's first one since the journey began), the first order not cancelled
    since then, its first delivery, first invoice and first payment. -#}
-- Incremental (config in _reports__models.yml): a refresh rebuilds only the journeys of the
-- customers of the orders it touched (macros/changed_rows.sql); a lead not converted has no
-- order to change.
{%- set customers = changed_customers() %}

with

leads as (

    select * from {{ ref('fct_leads') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

milestones as (

    select * from {{ ref('int_orders_cash_milestones') }}

),

customers as (

    select
        customer_id,
        created_at
    from {{ ref('dim_customers') }}
    where customer_id <> -1

),

all_journeys as (

    select
        'lead-' || cast(lead_id as {{ dbt.type_string() }}) as journey_id,
        'lead' as journey_type,
        lead_id,
        customer_id,
        opportunity_id,
        created_at as started_at,
        created_date as started_date
    from leads
    union all
    select
        'customer-' || cast(customers.customer_id as {{ dbt.type_string() }}) as journey_id,
        'customer' as journey_type,
        cast(null as bigint) as lead_id,
        customers.customer_id,
        cast(null as bigint) as opportunity_id,
        customers.created_at as started_at,
        cast(null as date) as started_date
    from customers
    where not exists (
        select 1 from leads
        where leads.customer_id = customers.customer_id
    )

),

journeys as (

    select * from all_journeys
    {{ keys_filter('customer_id', customers) }}

),

first_opportunity as (

    select
        journeys.journey_id,
        min(opportunities.created_at) as opportunity_created_at
    from journeys
    inner join opportunities
        on
            journeys.opportunity_id = opportunities.opportunity_id
            or (
                journeys.opportunity_id is null
                and journeys.customer_id = opportunities.customer_id
                and opportunities.created_at >= coalesce(journeys.started_at, cast('1900-01-01' as timestamp))
            )
    group by journeys.journey_id

),

ranked_orders as (

    select
        journeys.journey_id,
        orders.sales_order_id,
        orders.order_date,
        row_number() over (
            partition by journeys.journey_id order by orders.order_date, orders.sales_order_id
        ) as order_rank
    from journeys
    inner join orders
        on
            journeys.customer_id = orders.customer_id
            and not orders.is_cancelled
            and (journeys.started_date is null or journeys.started_date <= orders.order_date)

),

final as (

    select
        journeys.journey_id,
        journeys.journey_type,
        journeys.lead_id,
        journeys.customer_id,
        journeys.started_at as lead_created_at,
        first_opportunity.opportunity_created_at,
        ranked_orders.sales_order_id as first_sales_order_id,
        ranked_orders.order_date as first_order_date,
        milestones.first_delivered_at,
        milestones.first_invoiced_date,
        milestones.first_paid_date,
        case
            when milestones.first_paid_date is not null then 'paid'
            when milestones.first_invoiced_date is not null then 'invoiced'
            when milestones.first_delivered_at is not null then 'delivered'
            when ranked_orders.order_date is not null then 'ordered'
            when first_opportunity.opportunity_created_at is not null then 'opportunity'
            else 'lead'
        end as reached_stage,
        cast({{ dbt.datediff('journeys.started_date', 'milestones.first_paid_date', 'day') }} as bigint) as days_lead_to_cash,
        cast({{ dbt.datediff('ranked_orders.order_date', 'milestones.first_paid_date', 'day') }} as bigint) as days_order_to_cash
    from journeys
    left join first_opportunity
        on journeys.journey_id = first_opportunity.journey_id
    left join ranked_orders
        on
            journeys.journey_id = ranked_orders.journey_id
            and ranked_orders.order_rank = 1
    left join milestones
        on ranked_orders.sales_order_id = milestones.sales_order_id

)

select * from final
