{#- Every member of the dimensions KPIs can be cut by (serving.kpis.by_dimension, dashboard
    filters): the conformed dimensions' current members, their explicit unknown members, and
    the historical members the facts carry (a region or grade valid on an order, opportunity
    or ticket date; a lead's own region). The large cell tables are made distinct first:
    each is read by several of the unions below. -#}
with

customers as (

    select
        region,
        customer_grade
    from {{ ref('dim_customers') }}

),

products as (

    select product_category from {{ ref('dim_products') }}

),

employees as (

    select
        employee_code,
        employee_name
    from {{ ref('dim_employees') }}

),

kpi_cells as (

    select distinct
        customer_region,
        product_category,
        customer_grade
    from {{ ref('rpt_kpi_daily_dims') }}

),

receivable_cells as (

    select distinct
        customer_region,
        customer_grade
    from {{ ref('rpt_receivables_daily_dims') }}

),

inventory as (

    select product_category from {{ ref('rpt_inventory_monthly') }}

),

crm_cells as (

    select customer_region from {{ ref('rpt_crm_monthly') }}

),

opportunity_cells as (

    select
        customer_region,
        customer_grade
    from {{ ref('fct_opportunities') }}

),

ticket_cells as (

    select
        customer_region,
        customer_grade
    from {{ ref('fct_service_tickets') }}

),

members as (

    select
        'region' as dimension,
        region as member,
        region as member_label
    from customers
    union
    select
        'region' as dimension,
        customer_region as member,
        customer_region as member_label
    from kpi_cells
    union
    select
        'region' as dimension,
        customer_region as member,
        customer_region as member_label
    from receivable_cells
    union
    select
        'region' as dimension,
        customer_region as member,
        customer_region as member_label
    from crm_cells
    union
    select
        'region' as dimension,
        customer_region as member,
        customer_region as member_label
    from opportunity_cells
    union
    select
        'region' as dimension,
        customer_region as member,
        customer_region as member_label
    from ticket_cells
    union
    select
        'category' as dimension,
        product_category as member,
        product_category as member_label
    from products
    union
    select
        'category' as dimension,
        product_category as member,
        product_category as member_label
    from kpi_cells
    union
    select
        'category' as dimension,
        product_category as member,
        product_category as member_label
    from inventory
    union
    select
        'grade' as dimension,
        coalesce(customer_grade, '?') as member,
        coalesce(customer_grade, '?') as member_label
    from customers
    union
    select
        'grade' as dimension,
        customer_grade as member,
        customer_grade as member_label
    from kpi_cells
    union
    select
        'grade' as dimension,
        customer_grade as member,
        customer_grade as member_label
    from receivable_cells
    union
    select
        'grade' as dimension,
        customer_grade as member,
        customer_grade as member_label
    from opportunity_cells
    union
    select
        'grade' as dimension,
        customer_grade as member,
        customer_grade as member_label
    from ticket_cells
    union
    select
        'owner' as dimension,
        employee_code as member,
        employee_name as member_label
    from employees

),

final as (

    select
        dimension,
        member,
        member_label
    from members
    where member is not null

)

select * from final
