-- Accounting identity: an invoice's (or credit note's) net and tax amounts are the sums of
-- its lines, and gross = net + tax.
with

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

lines as (

    select
        invoice_id,
        sum(net_amount) as lines_net_amount,
        sum(tax_amount) as lines_tax_amount
    from {{ ref('stg_erp__invoice_lines') }}
    group by invoice_id

)

select
    invoices.invoice_id,
    invoices.invoice_no,
    invoices.net_amount,
    lines.lines_net_amount,
    invoices.tax_amount,
    lines.lines_tax_amount,
    invoices.gross_amount
from invoices
inner join lines
    on invoices.invoice_id = lines.invoice_id
where invoices.net_amount <> lines.lines_net_amount
    or invoices.tax_amount <> lines.lines_tax_amount
    or invoices.gross_amount <> invoices.net_amount + invoices.tax_amount
