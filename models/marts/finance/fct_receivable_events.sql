{#- The receivables ledger: every event that changes what a customer owes, signed (gross,
    tax included). Invoice issued +, credit note -, payment -. Each event belongs to a
    receivable item: the invoice it concerns (a credit note belongs to the invoice it
    credits; one crediting no invoice is its own item). The open amount of an item at any
    date D = sum of its events dated on or before D; ageing uses the item's due date. -#}
with

invoices as (

    select * from {{ ref('fct_invoices') }}

),

payments as (

    select * from {{ ref('fct_payments') }}

),

items as (

    select
        invoice_id as item_invoice_id,
        due_date as item_due_date
    from invoices

),

documents as (

    -- the receivable item each document belongs to (a credit note: the invoice it credits)
    select
        invoice_id,
        case when is_credit_note then coalesce(credited_invoice_id, invoice_id) else invoice_id end as item_invoice_id
    from invoices

),

invoice_events as (

    select
        'invoice-' || cast(invoice_id as {{ dbt.type_string() }}) as receivable_event_id,
        case when is_credit_note then 'credit_note' else 'invoice' end as event_type,
        issue_date as event_date,
        case when is_credit_note then coalesce(credited_invoice_id, invoice_id) else invoice_id end as item_invoice_id,
        customer_id,
        gross_amount as amount
    from invoices

),

payment_events as (

    select
        'payment-' || cast(payments.payment_id as {{ dbt.type_string() }}) as receivable_event_id,
        case when payments.payment_amount < 0 then 'refund' else 'payment' end as event_type,
        payments.paid_date as event_date,
        coalesce(documents.item_invoice_id, payments.invoice_id) as item_invoice_id,
        payments.customer_id,
        -payments.payment_amount as amount
    from payments
    left join documents
        on payments.invoice_id = documents.invoice_id

),

unioned as (

    select * from invoice_events
    union all
    select * from payment_events

),

final as (

    select
        unioned.receivable_event_id,
        unioned.event_type,
        unioned.event_date,
        unioned.item_invoice_id,
        items.item_due_date,
        unioned.customer_id,
        {{ money('unioned.amount') }} as amount
    from unioned
    left join items
        on unioned.item_invoice_id = items.item_invoice_id

)

select * from final
