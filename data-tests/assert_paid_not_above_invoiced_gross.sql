-- Paid <= invoiced gross: payments against an invoice never exceed its gross amount, and
-- refunds on a credit note never exceed the credit note.
with

invoices as (

    select invoice_id, invoice_no, is_credit_note, gross_amount, paid_amount
    from {{ ref('fct_invoices') }}

)

select *
from invoices
where (not is_credit_note and paid_amount > gross_amount)
    or (is_credit_note and paid_amount < gross_amount)
