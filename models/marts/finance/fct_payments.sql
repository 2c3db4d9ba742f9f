with

payments as (

    select * from {{ ref('stg_erp__payments') }}

),

invoices as (

    select
        invoice_id,
        invoice_no,
        issue_date,
        due_date
    from {{ ref('stg_erp__invoices') }}

),

customers as (

    -- dim_customers' keys; read from staging, since the dimension's order stats would
    -- make every new order rebuild this fact and its tests
    select customer_id from {{ ref('stg_crm__customers') }}

),

final as (

    select
        payments.payment_id,
        payments.payment_no,
        payments.invoice_id,
        invoices.invoice_no,
        coalesce(customers.customer_id, -1) as customer_id,
        payments.payment_amount,
        payments.paid_date,
        payments.payment_method,
        invoices.issue_date as invoice_issue_date,
        invoices.due_date as invoice_due_date,
        {{ dbt.datediff('invoices.issue_date', 'payments.paid_date', 'day') }} as days_from_issue,
        {{ dbt.datediff('invoices.due_date', 'payments.paid_date', 'day') }} as days_past_due
    from payments
    left join invoices
        on payments.invoice_id = invoices.invoice_id
    left join customers
        on payments.customer_id = customers.customer_id

)

select * from final
