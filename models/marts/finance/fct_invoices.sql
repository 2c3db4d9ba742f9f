with

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

payments as (

    select
        invoice_id,
        sum(payment_amount) as paid_amount,
        max(paid_date) as last_paid_date
    from {{ ref('stg_erp__payments') }}
    group by invoice_id

),

credits as (

    -- credit notes against an invoice, and refunds paid out on those credit notes
    select
        credit_notes.credited_invoice_id,
        sum(-abs(credit_notes.gross_amount)) as credited_gross_amount,
        sum(coalesce(refunds.paid_amount, 0)) as refunded_amount
    from invoices as credit_notes
    left join payments as refunds
        on credit_notes.invoice_id = refunds.invoice_id
    where
        credit_notes.is_credit_note
        and credit_notes.credited_invoice_id is not null
    group by credit_notes.credited_invoice_id

),

customers as (

    -- dim_customers' keys; read from staging, since the dimension's order stats would
    -- make every new order rebuild this fact and its tests
    select customer_id from {{ ref('stg_crm__customers') }}

),

signed as (

    select
        invoices.invoice_id,
        invoices.invoice_no,
        invoices.invoice_kind,
        invoices.is_credit_note,
        invoices.sales_order_id,
        coalesce(customers.customer_id, -1) as customer_id,
        invoices.credited_invoice_id,
        invoices.issue_date,
        invoices.due_date,
        -- credit notes count negative whatever sign the store used
        case when invoices.is_credit_note then -abs(invoices.net_amount) else invoices.net_amount end as net_amount,
        case when invoices.is_credit_note then -abs(invoices.tax_amount) else invoices.tax_amount end as tax_amount,
        case when invoices.is_credit_note then -abs(invoices.gross_amount) else invoices.gross_amount end as gross_amount,
        invoices.paid_amount as store_paid_amount,
        coalesce(credits.credited_gross_amount, 0) as credited_gross_amount,
        coalesce(credits.refunded_amount, 0) as refunded_amount,
        coalesce(payments.paid_amount, 0) as paid_amount,
        payments.last_paid_date
    from invoices
    left join payments
        on invoices.invoice_id = payments.invoice_id
    left join credits
        on invoices.invoice_id = credits.credited_invoice_id
    left join customers
        on invoices.customer_id = customers.customer_id

),

final as (

    select
        *,
        -- what the customer still owes on this invoice: credit notes reduce the invoice they
        -- credit; a refund paid out on such a credit note (a negative payment) settles it
        case
            when is_credit_note then cast(0 as decimal(18, 2))
            else gross_amount + credited_gross_amount - paid_amount - refunded_amount
        end as open_amount
    from signed

)

select * from final
