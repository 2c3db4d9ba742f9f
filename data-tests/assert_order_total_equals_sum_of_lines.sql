-- Accounting identity: an order's total is the sum of its rounded line net amounts, and
-- a purchase order's stored total is the sum of quantity x unit cost per line (rounded).
--
-- When a refresh rebuilt only some sales orders and no purchase order changed, only those
-- orders are read (rows_rebuilt_in, macros/changed_rows.sql).
{%- set rebuilt = rows_rebuilt_in(['fct_orders', 'fct_order_lines']) %}
with

orders as (

    select sales_order_id, net_amount from {{ ref('fct_orders') }}
    {%- if rebuilt %}
    where {{ rebuilt }}
    {%- endif %}

),

order_lines as (

    select sales_order_id, sum(net_amount) as lines_net_amount
    from {{ ref('fct_order_lines') }}
    {%- if rebuilt %}
    where {{ rebuilt }}
    {%- endif %}
    group by sales_order_id

),

purchase_orders as (

    select purchase_order_id, total_amount from {{ ref('stg_erp__purchase_orders') }}

),

po_lines as (

    select purchase_order_id, sum(line_amount) as lines_amount
    from {{ ref('fct_purchase_order_lines') }}
    group by purchase_order_id

)

select
    'sales_order' as document,
    orders.sales_order_id as document_id,
    orders.net_amount as total,
    coalesce(order_lines.lines_net_amount, 0) as sum_of_lines
from orders
left join order_lines
    on orders.sales_order_id = order_lines.sales_order_id
where orders.net_amount <> coalesce(order_lines.lines_net_amount, 0)
{%- if not rebuilt %}

union all

select
    'purchase_order' as document,
    purchase_orders.purchase_order_id as document_id,
    purchase_orders.total_amount as total,
    po_lines.lines_amount as sum_of_lines
from purchase_orders
inner join po_lines
    on purchase_orders.purchase_order_id = po_lines.purchase_order_id
where purchase_orders.total_amount <> po_lines.lines_amount
{%- endif %}
