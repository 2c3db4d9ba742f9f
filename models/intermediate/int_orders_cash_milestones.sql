with

deliveries as (

    select * from {{ ref('stg_erp__deliveries') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

payments as (

    select * from {{ ref('stg_erp__payments') }}

),

delivered as (

    select
        sales_order_id,
        min(delivered_at) as first_delivered_at
    from deliveries
    group by sales_order_id

),

invoiced as (

    select
        sales_order_id,
        min(issue_date) as first_invoiced_date
    from invoices
    where not is_credit_note
    group by sales_order_id

),

paid as (

    select
        invoices.sales_order_id,
        min(payments.paid_date) as first_paid_date
    from payments
    inner join invoices
        on payments.invoice_id = invoices.invoice_id
    group by invoices.sales_order_id

),

final as (

    select
        coalesce(delivered.sales_order_id, invoiced.sales_order_id, paid.sales_order_id) as sales_order_id,
        delivered.first_delivered_at,
        invoiced.first_invoiced_date,
        paid.first_paid_date
    from delivered
    full outer join invoiced
        on delivered.sales_order_id = invoiced.sales_order_id
    full outer join paid
        on coalesce(delivered.sales_order_id, invoiced.sales_order_id) = paid.sales_order_id

)

select * from final
