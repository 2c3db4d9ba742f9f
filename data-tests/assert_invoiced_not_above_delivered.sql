-- Invoices follow deliveries: per order line, the quantity invoiced (credit notes
-- subtracted) never exceeds the quantity shipped on deliveries.
--
-- When a refresh changed only orders, their lines and deliveries (invoices unchanged), the
-- lines that may newly fail are those fct_order_lines rebuilt, and lines deleted or moved
-- to another order (no longer among their old order's rows): only those are read
-- (rows_rebuilt_in, macros/changed_rows.sql).
{%- set rebuilt = rows_rebuilt_in(['fct_order_lines']) %}
with

invoiced as (

    select
        invoice_lines.sales_order_line_id,
        sum(
            case when invoices.is_credit_note then -abs(invoice_lines.quantity) else invoice_lines.quantity end
        ) as invoiced_quantity
    from {{ ref('stg_erp__invoice_lines') }} as invoice_lines
    inner join {{ ref('stg_erp__invoices') }} as invoices
        on invoice_lines.invoice_id = invoices.invoice_id
    {%- if rebuilt %}
    where invoice_lines.sales_order_line_id in (
        select sales_order_line_id from {{ ref('fct_order_lines') }} where {{ rebuilt }}
        union all
        select id from meta.changed_rows where table_name = 'sales_order_line'
    )
    {%- endif %}
    group by invoice_lines.sales_order_line_id

),

order_lines as (

    select sales_order_line_id, shipped_quantity from {{ ref('fct_order_lines') }}

)

select
    invoiced.sales_order_line_id,
    invoiced.invoiced_quantity,
    coalesce(order_lines.shipped_quantity, 0) as shipped_quantity
from invoiced
left join order_lines
    on invoiced.sales_order_line_id = order_lines.sales_order_line_id
where invoiced.invoiced_quantity > coalesce(order_lines.shipped_quantity, 0)
