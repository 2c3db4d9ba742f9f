-- The limit: every mart and report model of the dbt project, hand-written as one DuckDB
-- script that reads the operational store directly (attached as `src` by bench/limit.py,
-- SQLite values as text, so every column is cast to its warehouse type on the way in).
-- No views, no tests, no orchestration, no landing copy: staging is a typed read into
-- temporary tables, marts and reports are written as tables under the same names.
--
-- Variables (set by bench/limit.py): as_of_date (DATE), company_tz (VARCHAR).
-- Snapshots: a first build has one version per customer and product, valid from
-- 1900-01-01, so "the version valid at t" is the current row; the limit uses it directly.
-- `-- phase: <name>` lines split the script into the stages bench/limit.py times.

-- phase: read
create or replace temp macro local_date(ts) as
    cast((ts at time zone 'UTC') at time zone getvariable('company_tz') as date);

create or replace temp table stg_employees as
select
    cast(id as bigint) as employee_id,
    cast(code as varchar) as employee_code,
    cast(name as varchar) as employee_name,
    cast(department as varchar) as department,
    cast(email as varchar) as email,
    cast(is_active as boolean) as is_active
from src.employee;

create or replace temp table stg_customers as
select
    cast(id as bigint) as customer_id,
    cast(code as varchar) as customer_code,
    cast(name as varchar) as customer_name,
    cast(kind as varchar) as customer_kind,
    cast(industry as varchar) as industry,
    cast(region as varchar) as region,
    cast(grade as varchar) as customer_grade,
    cast(owner_id as bigint) as owner_employee_id,
    cast(credit_limit as decimal(18, 2)) as credit_limit,
    cast(created_at as timestamp) as created_at
from src.customer;

create or replace temp table stg_suppliers as
select
    cast(id as bigint) as supplier_id,
    cast(code as varchar) as supplier_code,
    cast(name as varchar) as supplier_name,
    cast(region as varchar) as region,
    cast(contact_name as varchar) as contact_name,
    cast(phone as varchar) as phone
from src.supplier;

create or replace temp table stg_products as
select
    cast(id as bigint) as product_id,
    cast(sku as varchar) as sku,
    cast(name as varchar) as product_name,
    cast(category as varchar) as product_category,
    cast(unit as varchar) as unit,
    cast(list_price as decimal(18, 2)) as list_price,
    cast(standard_cost as decimal(18, 2)) as standard_cost,
    cast(reorder_point as decimal(16, 3)) as reorder_point,
    cast(lead_time_days as bigint) as lead_time_days,
    cast(supplier_id as bigint) as supplier_id,
    cast(is_active as boolean) as is_active
from src.product;

create or replace temp table stg_sales_orders as
select
    cast(id as bigint) as sales_order_id,
    cast(order_no as varchar) as order_no,
    cast(customer_id as bigint) as customer_id,
    cast(owner_id as bigint) as owner_employee_id,
    cast(order_date as date) as order_date,
    cast(promised_date as date) as promised_date,
    cast(status as varchar) as order_status,
    cast(status as varchar) = 'cancelled' as is_cancelled
from src.sales_order;

create or replace temp table stg_sales_order_lines as
select
    cast(id as bigint) as sales_order_line_id,
    cast(sales_order_id as bigint) as sales_order_id,
    cast(line_no as bigint) as line_no,
    cast(product_id as bigint) as product_id,
    cast(quantity as decimal(16, 3)) as quantity,
    cast(unit_price as decimal(18, 2)) as unit_price,
    cast(discount as decimal(7, 4)) as discount_rate,
    cast(tax_rate as decimal(7, 4)) as tax_rate,
    cast(promised_date as date) as line_promised_date,
    cast(net_amount as decimal(18, 2)) as net_amount
from src.sales_order_line;

create or replace temp table stg_deliveries as
select
    delivery_id, delivery_no, sales_order_id, sales_order_line_id, quantity,
    shipped_at, delivered_at,
    local_date(shipped_at) as shipped_date,
    local_date(delivered_at) as delivered_date
from (
    select
        cast(id as bigint) as delivery_id,
        cast(delivery_no as varchar) as delivery_no,
        cast(sales_order_id as bigint) as sales_order_id,
        cast(sales_order_line_id as bigint) as sales_order_line_id,
        cast(quantity as decimal(16, 3)) as quantity,
        cast(shipped_at as timestamp) as shipped_at,
        cast(delivered_at as timestamp) as delivered_at
    from src.delivery
);

create or replace temp table stg_invoices as
select
    cast(id as bigint) as invoice_id,
    cast(invoice_no as varchar) as invoice_no,
    cast(kind as varchar) as invoice_kind,
    cast(kind as varchar) = 'credit_note' as is_credit_note,
    cast(sales_order_id as bigint) as sales_order_id,
    cast(customer_id as bigint) as customer_id,
    cast(credited_invoice_id as bigint) as credited_invoice_id,
    cast(issue_date as date) as issue_date,
    cast(due_date as date) as due_date,
    cast(net_amount as decimal(18, 2)) as net_amount,
    cast(tax_amount as decimal(18, 2)) as tax_amount,
    cast(gross_amount as decimal(18, 2)) as gross_amount,
    cast(paid_amount as decimal(18, 2)) as paid_amount
from src.invoice;

create or replace temp table stg_payments as
select
    cast(id as bigint) as payment_id,
    cast(payment_no as varchar) as payment_no,
    cast(invoice_id as bigint) as invoice_id,
    cast(customer_id as bigint) as customer_id,
    cast(amount as decimal(18, 2)) as payment_amount,
    cast(paid_date as date) as paid_date,
    cast(method as varchar) as payment_method
from src.payment;

create or replace temp table stg_stock_movements as
select
    stock_movement_id, product_id, movement_kind, quantity,
    cast(round(cast(quantity as decimal(38, 3)) * unit_cost, 2) as decimal(18, 2)) as movement_value,
    moved_at, local_date(moved_at) as moved_date, unit_cost, balance_after,
    reference_type, reference_id
from (
    select
        cast(id as bigint) as stock_movement_id,
        cast(product_id as bigint) as product_id,
        cast(kind as varchar) as movement_kind,
        cast(quantity as decimal(16, 3)) as quantity,
        cast(moved_at as timestamp) as moved_at,
        cast(unit_cost as decimal(18, 2)) as unit_cost,
        cast(balance_after as decimal(16, 3)) as balance_after,
        cast(reference_type as varchar) as reference_type,
        cast(reference_id as bigint) as reference_id
    from src.stock_movement
);

create or replace temp table stg_purchase_orders as
select
    cast(id as bigint) as purchase_order_id,
    cast(po_no as varchar) as po_no,
    cast(supplier_id as bigint) as supplier_id,
    cast(order_date as date) as order_date,
    cast(expected_date as date) as expected_date,
    cast(buyer_id as bigint) as buyer_employee_id,
    cast(status as varchar) as purchase_order_status,
    cast(is_system_draft as boolean) as is_system_draft
from src.purchase_order;

create or replace temp table stg_purchase_order_lines as
select
    cast(id as bigint) as purchase_order_line_id,
    cast(purchase_order_id as bigint) as purchase_order_id,
    cast(line_no as bigint) as line_no,
    cast(product_id as bigint) as product_id,
    cast(quantity as decimal(16, 3)) as quantity,
    cast(unit_cost as decimal(18, 2)) as unit_cost
from src.purchase_order_line;

create or replace temp table stg_goods_receipts as
select
    cast(purchase_order_line_id as bigint) as purchase_order_line_id,
    cast(quantity as decimal(16, 3)) as quantity,
    local_date(cast(received_at as timestamp)) as received_date
from src.goods_receipt;

create or replace temp table stg_supplier_payments as
select
    cast(id as bigint) as supplier_payment_id,
    cast(payment_no as varchar) as payment_no,
    cast(purchase_order_id as bigint) as purchase_order_id,
    cast(amount as decimal(18, 2)) as payment_amount,
    cast(paid_date as date) as paid_date,
    cast(approval_request_id as bigint) as approval_request_id
from src.supplier_payment;

create or replace temp table stg_approval_requests as
select
    *, local_date(submitted_at) as submitted_date, local_date(decided_at) as decided_date
from (
    select
        cast(id as bigint) as approval_request_id,
        cast(request_no as varchar) as request_no,
        cast(kind as varchar) as approval_kind,
        cast(requester_id as bigint) as requester_employee_id,
        cast(approver_id as bigint) as approver_employee_id,
        cast(amount as decimal(18, 2)) as amount,
        cast(reference_type as varchar) as reference_type,
        cast(reference_id as bigint) as reference_id,
        cast(status as varchar) as approval_status,
        cast(submitted_at as timestamp) as submitted_at,
        cast(decided_at as timestamp) as decided_at,
        cast(created_at as timestamp) as created_at
    from src.approval_request
);

create or replace temp table stg_tasks as
select *, local_date(created_at) as created_date
from (
    select
        cast(id as bigint) as task_id,
        cast(title as varchar) as title,
        cast(assignee_id as bigint) as assignee_employee_id,
        cast(due_date as date) as due_date,
        cast(reference_type as varchar) as reference_type,
        cast(reference_id as bigint) as reference_id,
        cast(status as varchar) as task_status,
        cast(source as varchar) as task_source,
        cast(rule_key as varchar) as rule_key,
        cast(reason as varchar) as reason,
        cast(closed_at as timestamp) as closed_at,
        cast(created_at as timestamp) as created_at
    from src.task
);

create or replace temp table stg_activities as
select *, local_date(occurred_at) as occurred_date
from (
    select
        cast(id as bigint) as activity_id,
        cast(kind as varchar) as activity_kind,
        cast(customer_id as bigint) as customer_id,
        cast(opportunity_id as bigint) as opportunity_id,
        cast(lead_id as bigint) as lead_id,
        cast(employee_id as bigint) as employee_id,
        cast(occurred_at as timestamp) as occurred_at,
        cast(subject as varchar) as subject,
        cast(next_follow_up_date as date) as next_follow_up_date
    from src.activity
);

create or replace temp table stg_leads as
select *, local_date(converted_at) as converted_date, local_date(created_at) as created_date
from (
    select
        cast(id as bigint) as lead_id,
        cast(code as varchar) as lead_code,
        cast(company_name as varchar) as company_name,
        cast(region as varchar) as region,
        cast(source_channel as varchar) as source_channel,
        cast(campaign_id as bigint) as campaign_id,
        cast(owner_id as bigint) as owner_employee_id,
        cast(status as varchar) as lead_status,
        cast(customer_id as bigint) as customer_id,
        cast(opportunity_id as bigint) as opportunity_id,
        cast(converted_at as timestamp) as converted_at,
        cast(created_at as timestamp) as created_at
    from src.lead
);

create or replace temp table stg_opportunities as
select *, local_date(created_at) as created_date, local_date(closed_at) as closed_date
from (
    select
        cast(id as bigint) as opportunity_id,
        cast(customer_id as bigint) as customer_id,
        cast(name as varchar) as opportunity_name,
        cast(amount as decimal(18, 2)) as opportunity_amount,
        cast(expected_close_date as date) as expected_close_date,
        cast(owner_id as bigint) as owner_employee_id,
        cast(lead_id as bigint) as lead_id,
        cast(stage as varchar) as opportunity_stage,
        cast(last_activity_at as timestamp) as last_activity_at,
        cast(closed_at as timestamp) as closed_at,
        cast(created_at as timestamp) as created_at
    from src.opportunity
);

create or replace temp table stg_opportunity_stage_changes as
select *, local_date(changed_at) as changed_date
from (
    select
        cast(id as bigint) as opportunity_stage_change_id,
        cast(opportunity_id as bigint) as opportunity_id,
        cast(from_stage as varchar) as from_stage,
        cast(to_stage as varchar) as to_stage,
        cast(changed_at as timestamp) as changed_at
    from src.opportunity_stage_change
);

create or replace temp table stg_service_tickets as
select *, local_date(opened_at) as opened_date, local_date(resolved_at) as resolved_date
from (
    select
        cast(id as bigint) as service_ticket_id,
        cast(ticket_no as varchar) as ticket_no,
        cast(customer_id as bigint) as customer_id,
        cast(sales_order_id as bigint) as sales_order_id,
        cast(category as varchar) as ticket_category,
        cast(priority as varchar) as ticket_priority,
        cast(assignee_id as bigint) as assignee_employee_id,
        cast(status as varchar) as ticket_status,
        cast(opened_at as timestamp) as opened_at,
        cast(resolved_at as timestamp) as resolved_at,
        cast(satisfaction as bigint) as satisfaction_score
    from src.service_ticket
);

-- phase: marts
create schema if not exists marts;
create schema if not exists reports;

-- shared: order lines with their order (int_order_lines_joined_to_orders)
create or replace temp table order_lines as
select
    l.sales_order_line_id, l.sales_order_id, o.order_no, l.line_no, o.customer_id,
    o.owner_employee_id, l.product_id, o.order_date,
    coalesce(l.line_promised_date, o.promised_date) as promised_date,
    o.order_status, o.is_cancelled, l.quantity, l.unit_price, l.discount_rate, l.tax_rate,
    l.net_amount
from stg_sales_order_lines as l
inner join stg_sales_orders as o using (sales_order_id);

create or replace table marts.dim_employees as
select employee_id, employee_code, employee_name, department, email, is_active
from stg_employees
union all
select -1, 'UNKNOWN', 'Unassigned', 'unknown', null, false;

create or replace table marts.dim_suppliers as
select supplier_id, supplier_code, supplier_name, coalesce(region, 'unknown') as region, contact_name, phone
from stg_suppliers
union all
select -1, 'UNKNOWN', 'Unknown supplier', 'unknown', null, null;

create or replace table marts.dim_products as
select
    p.product_id, p.sku, p.product_name, p.product_category, p.unit, p.list_price,
    p.standard_cost, p.reorder_point, p.lead_time_days, coalesce(p.supplier_id, -1) as supplier_id,
    s.supplier_name, p.is_active
from stg_products as p
left join stg_suppliers as s using (supplier_id)
union all
select
    -1, 'UNKNOWN', 'Unknown product', 'unknown', 'unknown', cast(0 as decimal(18, 2)),
    cast(0 as decimal(18, 2)), cast(0 as decimal(16, 3)), 0, -1, 'Unknown supplier', false;

create or replace table marts.dim_customers as
with stats as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(distinct sales_order_id) as lifetime_order_count,
        sum(net_amount) as lifetime_net_sales,
        sum(case
            when order_date > cast(getvariable('as_of_date') - interval 365 day as date)
                and order_date <= getvariable('as_of_date') then net_amount
            else 0 end) as last_365d_net_sales
    from order_lines
    where not is_cancelled
    group by customer_id
)
select
    c.customer_id, c.customer_code, c.customer_name, c.customer_kind,
    coalesce(c.industry, 'unknown') as industry, coalesce(c.region, 'unknown') as region,
    c.customer_grade, c.owner_employee_id, e.employee_name as owner_name, c.credit_limit,
    s.first_order_date, s.last_order_date,
    coalesce(s.lifetime_order_count, 0) as lifetime_order_count,
    coalesce(s.lifetime_net_sales, 0) as lifetime_net_sales,
    case
        when s.first_order_date is null then 'prospect'
        when coalesce(s.last_365d_net_sales, 0) >= 100000 then 'key_account'
        when coalesce(s.last_365d_net_sales, 0) >= 10000 then 'regular'
        when s.last_365d_net_sales is null or s.last_365d_net_sales = 0 then 'lapsed'
        else 'occasional'
    end as segment,
    c.created_at
from stg_customers as c
left join stg_employees as e on c.owner_employee_id = e.employee_id
left join stats as s using (customer_id)
union all
select
    -1, 'UNKNOWN', 'Unknown customer', 'unknown', 'unknown', 'unknown', '?', null, null,
    cast(0 as decimal(18, 2)), null, null, 0, cast(0 as decimal(18, 2)), 'unknown', null;

create or replace table marts.dim_dates as
with bounds as (
    select
        cast(date_trunc('year', min(d)) as date) as start_date,
        cast(date_trunc('year', max(d)) + interval 1 year - interval 1 day as date) as end_date
    from (
        select order_date as d from stg_sales_orders
        union all select issue_date from stg_invoices
        union all select delivered_date from stg_deliveries
        union all select paid_date from stg_payments
        union all select moved_date from stg_stock_movements
        union all select getvariable('as_of_date')
    )
),
spine as (
    select cast(bounds.start_date + cast(i as integer) as date) as date_day
    from bounds, range(0, date_diff('day', bounds.start_date, bounds.end_date) + 1) as r(i)
)
select
    date_day,
    cast(year(date_day) as integer) as calendar_year,
    cast(quarter(date_day) as integer) as calendar_quarter,
    cast(month(date_day) as integer) as calendar_month,
    cast(day(date_day) as integer) as day_of_month,
    cast(isodow(date_day) as integer) as iso_day_of_week,
    isodow(date_day) >= 6 as is_weekend,
    cast(date_trunc('week', date_day) as date) as week_start_date,
    cast(date_trunc('month', date_day) as date) as month_start_date,
    cast(date_trunc('month', date_day) + interval 1 month - interval 1 day as date) as month_end_date,
    cast(date_trunc('quarter', date_day) as date) as quarter_start_date,
    cast(date_trunc('year', date_day) as date) as year_start_date,
    strftime(date_day, '%Y-%m') as year_month,
    cast(year(date_day) as integer) as fiscal_year,
    cast(month(date_day) as integer) as fiscal_month,
    cast(quarter(date_day) as integer) as fiscal_quarter,
    cast(date_day - interval 1 year as date) as same_day_last_year,
    date_day <= getvariable('as_of_date') as is_past_or_today
from spine
order by date_day;

create or replace table marts.fct_order_lines as
with delivered as (
    select
        d.sales_order_line_id,
        cast(sum(d.quantity) as decimal(18, 3)) as shipped_quantity,
        cast(sum(case when d.delivered_at is not null then d.quantity else 0 end) as decimal(18, 3))
            as delivered_quantity,
        cast(sum(case when d.delivered_date <= l.promised_date then d.quantity else 0 end)
            as decimal(18, 3)) as on_time_delivered_quantity,
        min(d.delivered_date) as first_delivered_date,
        max(d.delivered_date) as last_delivered_date
    from stg_deliveries as d
    inner join order_lines as l using (sales_order_line_id)
    group by d.sales_order_line_id
),
joined as (
    select
        l.*,
        coalesce(c.customer_id, -1) as dim_customer_id,
        coalesce(p.product_id, -1) as dim_product_id,
        coalesce(e.employee_id, -1) as dim_owner_employee_id,
        coalesce(p.product_category, 'unknown') as product_category,
        coalesce(c.region, 'unknown') as customer_region,
        coalesce(c.customer_grade, '?') as customer_grade,
        cast(coalesce(p.standard_cost, 0) as decimal(18, 2)) as standard_unit_cost,
        coalesce(d.shipped_quantity, 0) as shipped_quantity,
        coalesce(d.delivered_quantity, 0) as delivered_quantity,
        coalesce(d.on_time_delivered_quantity, 0) as on_time_delivered_quantity,
        d.first_delivered_date,
        d.last_delivered_date
    from order_lines as l
    left join delivered as d using (sales_order_line_id)
    left join stg_customers as c on l.customer_id = c.customer_id
    left join stg_products as p on l.product_id = p.product_id
    left join stg_employees as e on l.owner_employee_id = e.employee_id
)
select
    sales_order_line_id, sales_order_id, order_no, line_no,
    dim_customer_id as customer_id, dim_product_id as product_id,
    dim_owner_employee_id as owner_employee_id,
    customer_region, customer_grade, product_category, order_date, promised_date,
    order_status, is_cancelled, quantity, unit_price, discount_rate, tax_rate, net_amount,
    standard_unit_cost,
    cast(round(cast(quantity as decimal(38, 3)) * standard_unit_cost, 2) as decimal(18, 2)) as cost_amount,
    shipped_quantity, delivered_quantity, on_time_delivered_quantity,
    first_delivered_date, last_delivered_date,
    delivered_quantity >= quantity as is_delivered_in_full,
    (not is_cancelled and promised_date is not null
        and promised_date <= getvariable('as_of_date')) as is_otd_due,
    on_time_delivered_quantity >= quantity as is_delivered_in_full_on_time
from joined;

create or replace table marts.fct_orders as
with by_order as (
    select
        sales_order_id,
        count(*) as line_count,
        sum(net_amount) as net_amount,
        sum(cost_amount) as cost_amount,
        max(promised_date) as due_date,
        count(*) - count(promised_date) as lines_without_promised_date,
        sum(case when is_delivered_in_full then 0 else 1 end) as lines_not_in_full,
        sum(case when is_delivered_in_full_on_time then 0 else 1 end) as lines_not_on_time_in_full,
        max(last_delivered_date) as last_delivered_date
    from marts.fct_order_lines
    group by sales_order_id
)
select
    o.sales_order_id, o.order_no, coalesce(c.customer_id, -1) as customer_id,
    coalesce(o.owner_employee_id, -1) as owner_employee_id, o.order_date,
    o.promised_date as order_promised_date, b.due_date, o.order_status, o.is_cancelled,
    coalesce(b.line_count, 0) as line_count,
    cast(coalesce(b.net_amount, 0) as decimal(18, 2)) as net_amount,
    cast(coalesce(b.cost_amount, 0) as decimal(18, 2)) as cost_amount,
    b.last_delivered_date,
    coalesce(b.lines_not_in_full, 0) = 0 and b.line_count > 0 as is_delivered_in_full,
    (not o.is_cancelled and b.lines_without_promised_date = 0
        and b.due_date <= getvariable('as_of_date')) as is_otif_due,
    coalesce(b.lines_not_on_time_in_full, 1) = 0 as is_on_time_in_full
from stg_sales_orders as o
left join by_order as b using (sales_order_id)
left join stg_customers as c on o.customer_id = c.customer_id;

create or replace table marts.fct_deliveries as
select
    d.delivery_id, d.delivery_no, d.sales_order_id, d.sales_order_line_id, l.customer_id,
    l.product_id, l.owner_employee_id, l.customer_region, l.customer_grade, l.product_category,
    l.is_cancelled as is_order_cancelled, d.quantity, d.shipped_at, d.delivered_at,
    d.shipped_date, d.delivered_date, d.delivered_at is not null as is_delivered,
    l.promised_date, d.delivered_date <= l.promised_date as is_on_time,
    cast(round(cast(d.quantity as decimal(38, 3)) * l.unit_price * (1 - l.discount_rate), 2)
        as decimal(18, 2)) as net_amount,
    coalesce(p.standard_cost, l.standard_unit_cost) as standard_unit_cost,
    cast(round(cast(d.quantity as decimal(38, 3)) * coalesce(p.standard_cost, l.standard_unit_cost), 2)
        as decimal(18, 2)) as cost_amount
from stg_deliveries as d
inner join marts.fct_order_lines as l using (sales_order_line_id)
left join stg_products as p on l.product_id = p.product_id;

create or replace table marts.fct_invoices as
with payments as (
    select invoice_id, sum(payment_amount) as paid_amount, max(paid_date) as last_paid_date
    from stg_payments
    group by invoice_id
),
credits as (
    select
        cn.credited_invoice_id,
        sum(-abs(cn.gross_amount)) as credited_gross_amount,
        sum(coalesce(r.paid_amount, 0)) as refunded_amount
    from stg_invoices as cn
    left join payments as r on cn.invoice_id = r.invoice_id
    where cn.is_credit_note and cn.credited_invoice_id is not null
    group by cn.credited_invoice_id
),
signed as (
    select
        i.invoice_id, i.invoice_no, i.invoice_kind, i.is_credit_note, i.sales_order_id,
        coalesce(c.customer_id, -1) as customer_id, i.credited_invoice_id, i.issue_date,
        i.due_date,
        case when i.is_credit_note then -abs(i.net_amount) else i.net_amount end as net_amount,
        case when i.is_credit_note then -abs(i.tax_amount) else i.tax_amount end as tax_amount,
        case when i.is_credit_note then -abs(i.gross_amount) else i.gross_amount end as gross_amount,
        i.paid_amount as store_paid_amount,
        coalesce(cr.credited_gross_amount, 0) as credited_gross_amount,
        coalesce(cr.refunded_amount, 0) as refunded_amount,
        coalesce(p.paid_amount, 0) as paid_amount,
        p.last_paid_date
    from stg_invoices as i
    left join payments as p on i.invoice_id = p.invoice_id
    left join credits as cr on i.invoice_id = cr.credited_invoice_id
    left join stg_customers as c on i.customer_id = c.customer_id
)
select
    *,
    case
        when is_credit_note then cast(0 as decimal(18, 2))
        else gross_amount + credited_gross_amount - paid_amount - refunded_amount
    end as open_amount
from signed;

create or replace table marts.fct_payments as
select
    p.payment_id, p.payment_no, p.invoice_id, i.invoice_no,
    coalesce(c.customer_id, -1) as customer_id, p.payment_amount, p.paid_date, p.payment_method,
    i.issue_date as invoice_issue_date, i.due_date as invoice_due_date,
    date_diff('day', i.issue_date::timestamp, p.paid_date::timestamp) as days_from_issue,
    date_diff('day', i.due_date::timestamp, p.paid_date::timestamp) as days_past_due
from stg_payments as p
left join stg_invoices as i on p.invoice_id = i.invoice_id
left join stg_customers as c on p.customer_id = c.customer_id;

create or replace table marts.fct_receivable_events as
with documents as (
    select
        invoice_id,
        case when is_credit_note then coalesce(credited_invoice_id, invoice_id) else invoice_id end
            as item_invoice_id
    from marts.fct_invoices
),
unioned as (
    select
        'invoice-' || cast(invoice_id as varchar) as receivable_event_id,
        case when is_credit_note then 'credit_note' else 'invoice' end as event_type,
        issue_date as event_date,
        case when is_credit_note then coalesce(credited_invoice_id, invoice_id) else invoice_id end
            as item_invoice_id,
        customer_id,
        gross_amount as amount
    from marts.fct_invoices
    union all
    select
        'payment-' || cast(p.payment_id as varchar),
        case when p.payment_amount < 0 then 'refund' else 'payment' end,
        p.paid_date,
        coalesce(d.item_invoice_id, p.invoice_id),
        p.customer_id,
        -p.payment_amount
    from marts.fct_payments as p
    left join documents as d on p.invoice_id = d.invoice_id
)
select
    u.receivable_event_id, u.event_type, u.event_date, u.item_invoice_id,
    i.due_date as item_due_date, u.customer_id, cast(u.amount as decimal(18, 2)) as amount
from unioned as u
left join marts.fct_invoices as i on u.item_invoice_id = i.invoice_id;

create or replace table marts.fct_supplier_payments as
select
    sp.supplier_payment_id, sp.payment_no, sp.purchase_order_id, po.po_no,
    coalesce(po.supplier_id, -1) as supplier_id, sp.payment_amount, sp.paid_date,
    sp.approval_request_id, a.approval_status,
    coalesce(a.approval_status = 'approved', false) as is_approved_before_payment
from stg_supplier_payments as sp
left join stg_purchase_orders as po on sp.purchase_order_id = po.purchase_order_id
left join stg_approval_requests as a on sp.approval_request_id = a.approval_request_id;

create or replace table marts.fct_approval_requests as
select
    a.approval_request_id, a.request_no, a.approval_kind, a.approval_status,
    coalesce(r.employee_id, -1) as requester_employee_id,
    coalesce(d.employee_id, -1) as approver_employee_id,
    a.amount, a.reference_type, a.reference_id, a.created_at, a.submitted_at, a.submitted_date,
    a.decided_at, a.decided_date, a.approval_status = 'submitted' as is_pending,
    case
        when a.decided_at is not null and a.submitted_at is not null
            then date_diff('minute', a.submitted_at, a.decided_at) / 60.0
    end as cycle_hours
from stg_approval_requests as a
left join stg_employees as r on a.requester_employee_id = r.employee_id
left join stg_employees as d on a.approver_employee_id = d.employee_id;

create or replace table marts.fct_tasks as
select
    t.task_id, t.title, coalesce(e.employee_id, -1) as assignee_employee_id, t.task_status,
    t.task_source, t.rule_key, t.reason, t.reference_type, t.reference_id, t.due_date,
    t.created_at, t.created_date, t.closed_at,
    t.task_status in ('open', 'in_progress') as is_open,
    (t.task_status in ('open', 'in_progress') and t.due_date < getvariable('as_of_date'))
        as is_overdue
from stg_tasks as t
left join stg_employees as e on t.assignee_employee_id = e.employee_id;

create or replace table marts.fct_stock_movements as
select
    m.stock_movement_id, coalesce(p.product_id, -1) as product_id,
    coalesce(p.product_category, 'unknown') as product_category, m.movement_kind, m.quantity,
    m.unit_cost, m.movement_value, m.moved_at, m.moved_date, m.balance_after,
    m.movement_kind = 'shipment' as is_outbound_sale, m.reference_type, m.reference_id
from stg_stock_movements as m
left join stg_products as p on m.product_id = p.product_id;

create or replace table marts.fct_inventory_month_end as
with monthly as (
    select
        product_id,
        cast(date_trunc('month', moved_date) as date) as month_start_date,
        sum(quantity) as net_quantity,
        max(case when is_outbound_sale then moved_date end) as last_outbound_date,
        count(*) as movement_count
    from marts.fct_stock_movements
    group by all
),
month_ends as (
    select distinct month_start_date, month_end_date
    from marts.dim_dates
    where month_start_date <= getvariable('as_of_date')
),
products as (
    select product_id, product_category, standard_cost from stg_products
    union all
    select -1, 'unknown', null
),
stock as (
    select
        p.product_id, p.product_category, p.standard_cost, me.month_start_date, me.month_end_date,
        sum(coalesce(m.net_quantity, 0)) over running as on_hand_quantity,
        max(m.last_outbound_date) over running as last_outbound_date,
        sum(coalesce(m.movement_count, 0)) over running as movement_count
    from products as p
    cross join month_ends as me
    left join monthly as m
        on p.product_id = m.product_id and me.month_start_date = m.month_start_date
    window running as (
        partition by p.product_id order by me.month_start_date
        rows between unbounded preceding and current row
    )
)
select
    product_id, product_category, month_start_date, month_end_date, on_hand_quantity,
    coalesce(standard_cost, 0) as standard_unit_cost,
    cast(round(cast(on_hand_quantity as decimal(38, 3)) * coalesce(standard_cost, 0), 2)
        as decimal(18, 2)) as inventory_value,
    last_outbound_date,
    (on_hand_quantity > 0 and (last_outbound_date is null
        or last_outbound_date <= cast(month_end_date - interval 90 day as date))) as is_slow_moving
from stock
where movement_count > 0;

create or replace table marts.fct_purchase_order_lines as
with receipts as (
    select
        purchase_order_line_id, sum(quantity) as received_quantity,
        max(received_date) as last_received_date
    from stg_goods_receipts
    group by purchase_order_line_id
)
select
    l.purchase_order_line_id, l.purchase_order_id, po.po_no, l.line_no,
    coalesce(s.supplier_id, -1) as supplier_id, coalesce(p.product_id, -1) as product_id,
    coalesce(po.buyer_employee_id, -1) as buyer_employee_id, po.purchase_order_status,
    po.is_system_draft, po.order_date, po.expected_date, l.quantity, l.unit_cost,
    cast(round(cast(l.quantity as decimal(38, 3)) * l.unit_cost, 2) as decimal(18, 2)) as line_amount,
    coalesce(r.received_quantity, 0) as received_quantity, r.last_received_date,
    coalesce(r.received_quantity, 0) >= l.quantity as is_received_in_full,
    (coalesce(r.received_quantity, 0) >= l.quantity and r.last_received_date <= po.expected_date)
        as is_received_on_time_in_full
from stg_purchase_order_lines as l
inner join stg_purchase_orders as po using (purchase_order_id)
left join receipts as r using (purchase_order_line_id)
left join stg_suppliers as s on po.supplier_id = s.supplier_id
left join stg_products as p on l.product_id = p.product_id;

create or replace table marts.fct_service_tickets as
select
    t.service_ticket_id, t.ticket_no, coalesce(c.customer_id, -1) as customer_id,
    coalesce(c.region, 'unknown') as customer_region,
    coalesce(c.customer_grade, '?') as customer_grade, t.sales_order_id, t.ticket_category,
    t.ticket_priority, t.ticket_status,
    coalesce(e.employee_id, -1) as assignee_employee_id, t.opened_at, t.opened_date,
    t.resolved_at, t.resolved_date, t.resolved_at is not null as is_resolved,
    case
        when t.resolved_at is not null then date_diff('minute', t.opened_at, t.resolved_at) / 60.0
    end as resolution_hours,
    t.satisfaction_score
from stg_service_tickets as t
left join stg_customers as c on t.customer_id = c.customer_id
left join stg_employees as e on t.assignee_employee_id = e.employee_id;

create or replace table marts.fct_activities as
select
    a.activity_id, a.activity_kind, a.customer_id, a.opportunity_id, a.lead_id,
    coalesce(e.employee_id, -1) as employee_id, a.occurred_at, a.occurred_date, a.subject,
    a.next_follow_up_date
from stg_activities as a
left join stg_employees as e on a.employee_id = e.employee_id;

create or replace table marts.fct_leads as
select
    l.lead_id, l.lead_code, l.company_name, l.source_channel, l.campaign_id,
    coalesce(e.employee_id, -1) as owner_employee_id, l.region, l.lead_status, l.created_at,
    l.created_date, cast(date_trunc('month', l.created_date) as date) as created_month,
    l.customer_id is not null and l.lead_status = 'converted' as is_converted,
    l.customer_id, l.opportunity_id, l.converted_at, l.converted_date,
    date_diff('day', l.created_date::timestamp, l.converted_date::timestamp) as days_to_convert
from stg_leads as l
left join stg_employees as e on l.owner_employee_id = e.employee_id;

create or replace table marts.fct_opportunities as
with changes as (
    select opportunity_id, count(*) as stage_change_count
    from stg_opportunity_stage_changes
    group by opportunity_id
)
select
    o.opportunity_id, o.opportunity_name, coalesce(c.customer_id, -1) as customer_id,
    coalesce(e.employee_id, -1) as owner_employee_id,
    coalesce(c.region, 'unknown') as customer_region,
    coalesce(c.customer_grade, '?') as customer_grade, o.lead_id, o.opportunity_stage,
    o.opportunity_stage = 'won' as is_won, o.opportunity_stage = 'lost' as is_lost,
    o.opportunity_stage in ('won', 'lost') as is_closed, o.opportunity_amount,
    o.expected_close_date, o.created_at, o.created_date, o.closed_at, o.closed_date,
    o.last_activity_at,
    case
        when o.opportunity_stage in ('won', 'lost')
            then date_diff('day', o.created_date::timestamp, o.closed_date::timestamp)
    end as days_to_close,
    coalesce(ch.stage_change_count, 0) as stage_change_count
from stg_opportunities as o
left join changes as ch using (opportunity_id)
left join stg_customers as c on o.customer_id = c.customer_id
left join stg_employees as e on o.owner_employee_id = e.employee_id;

create or replace table marts.fct_opportunity_stage_changes as
with sequenced as (
    select
        s.*,
        o.created_at as opportunity_created_at,
        row_number() over w as change_number,
        lag(s.changed_at) over w as previous_changed_at
    from stg_opportunity_stage_changes as s
    left join stg_opportunities as o using (opportunity_id)
    window w as (partition by s.opportunity_id order by s.changed_at, s.opportunity_stage_change_id)
)
select
    opportunity_stage_change_id, opportunity_id, change_number, from_stage, to_stage,
    changed_at, changed_date,
    date_diff('minute', coalesce(previous_changed_at, opportunity_created_at), changed_at) / 60.0
        as hours_in_from_stage
from sequenced;

-- phase: reports
create or replace table reports.rpt_kpi_daily as
with orders_by_day as (
    select order_date as date_day, sum(net_amount) as order_intake,
           count(distinct sales_order_id) as order_count
    from marts.fct_order_lines where not is_cancelled group by order_date
),
invoices_by_day as (
    select issue_date as date_day, sum(net_amount) as turnover,
           sum(case when is_credit_note then net_amount else 0 end) as credit_note_amount
    from marts.fct_invoices group by issue_date
),
otd_by_day as (
    select promised_date as date_day, count(*) as otd_due_lines,
           sum(case when is_delivered_in_full_on_time then 1 else 0 end) as otd_on_time_lines
    from marts.fct_order_lines where is_otd_due group by promised_date
),
otif_by_day as (
    select due_date as date_day, count(*) as otif_due_orders,
           sum(case when is_on_time_in_full then 1 else 0 end) as otif_orders
    from marts.fct_orders where is_otif_due group by due_date
),
deliveries_by_day as (
    select delivered_date as date_day, sum(net_amount) as delivered_net_sales,
           sum(cost_amount) as delivered_cogs
    from marts.fct_deliveries where is_delivered and not is_order_cancelled
    group by delivered_date
)
select
    d.date_day,
    cast(coalesce(o.order_intake, 0) as decimal(18, 2)) as order_intake,
    cast(coalesce(o.order_count, 0) as integer) as order_count,
    cast(coalesce(i.turnover, 0) as decimal(18, 2)) as turnover,
    cast(coalesce(i.credit_note_amount, 0) as decimal(18, 2)) as credit_note_amount,
    cast(coalesce(t.otd_due_lines, 0) as integer) as otd_due_lines,
    cast(coalesce(t.otd_on_time_lines, 0) as integer) as otd_on_time_lines,
    cast(coalesce(f.otif_due_orders, 0) as integer) as otif_due_orders,
    cast(coalesce(f.otif_orders, 0) as integer) as otif_orders,
    cast(coalesce(v.delivered_net_sales, 0) as decimal(18, 2)) as delivered_net_sales,
    cast(coalesce(v.delivered_cogs, 0) as decimal(18, 2)) as delivered_cogs
from marts.dim_dates as d
left join orders_by_day as o using (date_day)
left join invoices_by_day as i using (date_day)
left join otd_by_day as t using (date_day)
left join otif_by_day as f using (date_day)
left join deliveries_by_day as v using (date_day);

create or replace table reports.rpt_customer_sales_daily as
with by_day as (
    select customer_id, order_date, sum(net_amount) as net_sales, sum(cost_amount) as cogs,
           count(distinct sales_order_id) as order_count
    from marts.fct_order_lines where not is_cancelled
    group by customer_id, order_date
)
select
    b.customer_id, c.customer_code, c.customer_name, b.order_date,
    cast(b.net_sales as decimal(18, 2)) as net_sales, cast(b.cogs as decimal(18, 2)) as cogs,
    cast(b.order_count as integer) as order_count
from by_day as b
inner join marts.dim_customers as c using (customer_id);

create or replace table reports.rpt_sales_monthly as
with unioned as (
    select
        cast(date_trunc('month', order_date) as date) as month_start_date,
        customer_region, product_category, customer_grade, owner_employee_id,
        sum(net_amount) as order_intake, count(distinct sales_order_id) as order_count,
        0 as delivered_net_sales, 0 as delivered_cogs, 0 as otd_due_lines, 0 as otd_on_time_lines
    from marts.fct_order_lines where not is_cancelled
    group by 1, 2, 3, 4, 5
    union all
    select
        cast(date_trunc('month', delivered_date) as date), customer_region, product_category,
        customer_grade, owner_employee_id, 0, 0, sum(net_amount), sum(cost_amount), 0, 0
    from marts.fct_deliveries where is_delivered and not is_order_cancelled
    group by 1, 2, 3, 4, 5
    union all
    select
        cast(date_trunc('month', promised_date) as date), customer_region, product_category,
        customer_grade, owner_employee_id, 0, 0, 0, 0, count(*),
        sum(case when is_delivered_in_full_on_time then 1 else 0 end)
    from marts.fct_order_lines where is_otd_due
    group by 1, 2, 3, 4, 5
)
select
    month_start_date, customer_region, product_category, customer_grade, owner_employee_id,
    cast(sum(order_intake) as decimal(18, 2)) as order_intake,
    cast(sum(order_count) as integer) as order_count,
    cast(sum(delivered_net_sales) as decimal(18, 2)) as delivered_net_sales,
    cast(sum(delivered_cogs) as decimal(18, 2)) as delivered_cogs,
    cast(sum(otd_due_lines) as integer) as otd_due_lines,
    cast(sum(otd_on_time_lines) as integer) as otd_on_time_lines
from unioned
group by 1, 2, 3, 4, 5;

create or replace table reports.rpt_inventory_monthly as
with stock_by_month as (
    select
        month_start_date, month_end_date, product_category,
        sum(on_hand_quantity) as on_hand_quantity, sum(inventory_value) as inventory_value,
        sum(case when on_hand_quantity > 0 then 1 else 0 end) as products_in_stock,
        sum(case when is_slow_moving then 1 else 0 end) as slow_moving_products,
        sum(case when is_slow_moving then inventory_value else 0 end) as slow_moving_value
    from marts.fct_inventory_month_end
    group by month_start_date, month_end_date, product_category
),
cogs_by_month as (
    select cast(date_trunc('month', delivered_date) as date) as month_start_date,
           product_category, sum(cost_amount) as cogs
    from marts.fct_deliveries where is_delivered and not is_order_cancelled
    group by 1, 2
)
select
    s.month_start_date, s.month_end_date, s.product_category,
    cast(s.on_hand_quantity as decimal(18, 3)) as on_hand_quantity,
    cast(s.inventory_value as decimal(18, 2)) as inventory_value,
    cast(s.products_in_stock as integer) as products_in_stock,
    cast(s.slow_moving_products as integer) as slow_moving_products,
    cast(s.slow_moving_value as decimal(18, 2)) as slow_moving_value,
    cast(coalesce(c.cogs, 0) as decimal(18, 2)) as cogs
from stock_by_month as s
left join cogs_by_month as c using (month_start_date, product_category);

create or replace table reports.rpt_crm_monthly as
with unioned as (
    select created_month as month_start_date, owner_employee_id,
           coalesce(region, 'unknown') as customer_region, count(*) as leads_created,
           sum(case when is_converted then 1 else 0 end) as leads_converted,
           0 as opportunities_created, 0 as opportunities_won, 0 as opportunities_lost,
           0 as won_amount
    from marts.fct_leads group by 1, 2, 3
    union all
    select cast(date_trunc('month', created_date) as date), owner_employee_id, customer_region,
           0, 0, count(*), 0, 0, 0
    from marts.fct_opportunities group by 1, 2, 3
    union all
    select cast(date_trunc('month', closed_date) as date), owner_employee_id, customer_region,
           0, 0, 0, sum(case when is_won then 1 else 0 end),
           sum(case when is_lost then 1 else 0 end),
           sum(case when is_won then opportunity_amount else 0 end)
    from marts.fct_opportunities where is_closed group by 1, 2, 3
)
select
    month_start_date, owner_employee_id, customer_region,
    cast(sum(leads_created) as integer) as leads_created,
    cast(sum(leads_converted) as integer) as leads_converted,
    cast(sum(opportunities_created) as integer) as opportunities_created,
    cast(sum(opportunities_won) as integer) as opportunities_won,
    cast(sum(opportunities_lost) as integer) as opportunities_lost,
    cast(sum(won_amount) as decimal(18, 2)) as won_amount
from unioned
group by 1, 2, 3;

create or replace table reports.rpt_receivables_ageing as
with open_items as (
    select
        item_invoice_id, customer_id, item_due_date,
        date_diff('day', item_due_date::timestamp, getvariable('as_of_date')::timestamp)
            as days_past_due,
        sum(amount) as open_amount
    from marts.fct_receivable_events
    where event_date <= getvariable('as_of_date')
    group by item_invoice_id, customer_id, item_due_date
    having sum(amount) <> 0
),
bucketed as (
    select
        *,
        case
            when days_past_due <= 30 then '0-30'
            when days_past_due <= 60 then '31-60'
            when days_past_due <= 90 then '61-90'
            when days_past_due <= 120 then '91-120'
            else '>120'
        end as ageing_bucket
    from open_items
)
select
    getvariable('as_of_date') as as_of_date, b.customer_id, c.customer_code, c.customer_name,
    b.ageing_bucket,
    cast(case b.ageing_bucket
        when '0-30' then 1 when '31-60' then 2 when '61-90' then 3 when '91-120' then 4 else 5
    end as integer) as bucket_order,
    cast(sum(b.open_amount) as decimal(18, 2)) as open_amount,
    cast(sum(case when b.days_past_due > 0 then b.open_amount else 0 end) as decimal(18, 2))
        as overdue_amount,
    cast(count(*) as integer) as open_items
from bucketed as b
inner join marts.dim_customers as c using (customer_id)
group by 1, 2, 3, 4, 5, 6;

create or replace table reports.rpt_lead_to_cash as
with milestones as (
    select
        coalesce(d.sales_order_id, i.sales_order_id, p.sales_order_id) as sales_order_id,
        d.first_delivered_at, i.first_invoiced_date, p.first_paid_date
    from (select sales_order_id, min(delivered_at) as first_delivered_at
          from stg_deliveries group by 1) as d
    full outer join (select sales_order_id, min(issue_date) as first_invoiced_date
                     from stg_invoices where not is_credit_note group by 1) as i
        on d.sales_order_id = i.sales_order_id
    full outer join (select i.sales_order_id, min(p.paid_date) as first_paid_date
                     from stg_payments as p
                     inner join stg_invoices as i using (invoice_id) group by 1) as p
        on coalesce(d.sales_order_id, i.sales_order_id) = p.sales_order_id
),
journeys as (
    select
        'lead-' || cast(lead_id as varchar) as journey_id, 'lead' as journey_type, lead_id,
        customer_id, opportunity_id, created_at as started_at, created_date as started_date
    from marts.fct_leads
    union all
    select
        'customer-' || cast(c.customer_id as varchar), 'customer', cast(null as bigint),
        c.customer_id, cast(null as bigint), c.created_at, cast(null as date)
    from marts.dim_customers as c
    where c.customer_id <> -1
        and not exists (select 1 from marts.fct_leads as l where l.customer_id = c.customer_id)
),
first_opportunity as (
    select j.journey_id, min(o.created_at) as opportunity_created_at
    from journeys as j
    inner join marts.fct_opportunities as o
        on o.opportunity_id = j.opportunity_id
        or (j.opportunity_id is null and o.customer_id = j.customer_id
            and o.created_at >= coalesce(j.started_at, cast('1900-01-01' as timestamp)))
    group by j.journey_id
),
first_order as (
    select j.journey_id, arg_min(o.sales_order_id, (o.order_date, o.sales_order_id)) as sales_order_id,
           min(o.order_date) as order_date
    from journeys as j
    inner join marts.fct_orders as o
        on o.customer_id = j.customer_id and not o.is_cancelled
        and (j.started_date is null or o.order_date >= j.started_date)
    group by j.journey_id
)
select
    j.journey_id, j.journey_type, j.lead_id, j.customer_id, j.started_at as lead_created_at,
    f.opportunity_created_at, r.sales_order_id as first_sales_order_id,
    r.order_date as first_order_date, m.first_delivered_at, m.first_invoiced_date,
    m.first_paid_date,
    case
        when m.first_paid_date is not null then 'paid'
        when m.first_invoiced_date is not null then 'invoiced'
        when m.first_delivered_at is not null then 'delivered'
        when r.order_date is not null then 'ordered'
        when f.opportunity_created_at is not null then 'opportunity'
        else 'lead'
    end as reached_stage,
    cast(date_diff('day', j.started_date::timestamp, m.first_paid_date::timestamp) as bigint)
        as days_lead_to_cash,
    cast(date_diff('day', r.order_date::timestamp, m.first_paid_date::timestamp) as bigint)
        as days_order_to_cash
from journeys as j
left join first_opportunity as f using (journey_id)
left join first_order as r using (journey_id)
left join milestones as m on r.sales_order_id = m.sales_order_id;

-- the KPI registry seed, so KPIs can be evaluated on the limit's tables as on the warehouse
create schema if not exists reference;
create or replace table reference.kpi_registry as
select
    * exclude (higher_is_better, is_headline),
    cast(higher_is_better as boolean) as higher_is_better,
    cast(is_headline as boolean) as is_headline
from read_csv(getvariable('kpi_registry_csv'), header = true, all_varchar = true);

-- The dimensional KPI components (rpt_*_dims, rpt_dimension_members): the models' own SQL
-- with relations renamed to the limit's tables (they are plain SQL over marts, no Jinja).
-- shared with rpt_kpi_daily_dims: invoice lines, typed as staging does (stg_erp__invoice_lines)
create or replace temp table stg_invoice_lines as
select
    cast(id as bigint) as invoice_line_id,
    cast(invoice_id as bigint) as invoice_id,
    cast(sales_order_line_id as bigint) as sales_order_line_id,
    cast(quantity as decimal(16, 3)) as quantity,
    cast(net_amount as decimal(18, 2)) as net_amount,
    cast(tax_amount as decimal(18, 2)) as tax_amount
from src.invoice_line;

create or replace table reports.rpt_kpi_daily_dims as
with

dates as (

    select date_day from marts.dim_dates

),

order_lines as (

    select * from marts.fct_order_lines

),

orders as (

    select * from marts.fct_orders

),

invoices as (

    select * from marts.fct_invoices

),

invoice_lines as (

    select * from stg_invoice_lines

),

deliveries as (

    select * from marts.fct_deliveries

),

employees as (

    select
        employee_id,
        employee_code,
        employee_name
    from marts.dim_employees

),

first_lines as (

    select
        sales_order_id,
        min(sales_order_line_id) as sales_order_line_id
    from order_lines
    group by sales_order_id

),

order_cells as (

    -- region, grade and owner are the order's (one customer, one order date, one owner)
    select
        first_lines.sales_order_id,
        order_lines.customer_region,
        order_lines.product_category,
        order_lines.customer_grade,
        order_lines.owner_employee_id
    from first_lines
    inner join order_lines
        on first_lines.sales_order_line_id = order_lines.sales_order_line_id

),

invoice_items as (

    -- invoice lines signed like their invoice (credit notes negative) ...
    select
        invoice_lines.invoice_id,
        invoice_lines.sales_order_line_id,
        case
            when invoices.is_credit_note then -abs(invoice_lines.net_amount)
            else invoice_lines.net_amount
        end as net_amount
    from invoice_lines
    inner join invoices
        on invoice_lines.invoice_id = invoices.invoice_id

),

invoice_remainders as (

    -- ... and what an invoice's lines do not explain (an invoice without lines)
    select
        invoices.invoice_id,
        cast(null as bigint) as sales_order_line_id,
        invoices.net_amount - coalesce(sum(invoice_items.net_amount), 0) as net_amount
    from invoices
    left join invoice_items
        on invoices.invoice_id = invoice_items.invoice_id
    group by invoices.invoice_id, invoices.net_amount
    having invoices.net_amount - coalesce(sum(invoice_items.net_amount), 0) <> 0

),

intake as (

    select
        order_lines.order_date as date_day,
        order_lines.customer_region,
        order_lines.product_category,
        order_lines.customer_grade,
        order_lines.owner_employee_id,
        sum(order_lines.net_amount) as order_intake,
        sum(case when first_lines.sales_order_id is null then 0 else 1 end) as order_count,
        0 as turnover,
        0 as credit_note_amount,
        0 as otd_due_lines,
        0 as otd_on_time_lines,
        0 as otif_due_orders,
        0 as otif_orders,
        0 as delivered_net_sales,
        0 as delivered_cogs
    from order_lines
    left join first_lines
        on order_lines.sales_order_line_id = first_lines.sales_order_line_id
    where not order_lines.is_cancelled
    group by 1, 2, 3, 4, 5

),

invoiced as (

    select
        invoices.issue_date as date_day,
        coalesce(order_lines.customer_region, order_cells.customer_region, 'unknown') as customer_region,
        coalesce(order_lines.product_category, 'unknown') as product_category,
        coalesce(order_lines.customer_grade, order_cells.customer_grade, '?') as customer_grade,
        coalesce(order_lines.owner_employee_id, order_cells.owner_employee_id, -1) as owner_employee_id,
        0 as order_intake,
        0 as order_count,
        sum(items.net_amount) as turnover,
        sum(case when invoices.is_credit_note then items.net_amount else 0 end) as credit_note_amount,
        0 as otd_due_lines,
        0 as otd_on_time_lines,
        0 as otif_due_orders,
        0 as otif_orders,
        0 as delivered_net_sales,
        0 as delivered_cogs
    from (
        select * from invoice_items
        union all
        select * from invoice_remainders
    ) as items
    inner join invoices
        on items.invoice_id = invoices.invoice_id
    left join order_lines
        on items.sales_order_line_id = order_lines.sales_order_line_id
    left join order_cells
        on invoices.sales_order_id = order_cells.sales_order_id
    group by 1, 2, 3, 4, 5

),

otd as (

    select
        promised_date as date_day,
        customer_region,
        product_category,
        customer_grade,
        owner_employee_id,
        0 as order_intake,
        0 as order_count,
        0 as turnover,
        0 as credit_note_amount,
        count(*) as otd_due_lines,
        sum(case when is_delivered_in_full_on_time then 1 else 0 end) as otd_on_time_lines,
        0 as otif_due_orders,
        0 as otif_orders,
        0 as delivered_net_sales,
        0 as delivered_cogs
    from order_lines
    where is_otd_due
    group by 1, 2, 3, 4, 5

),

otif as (

    select
        orders.due_date as date_day,
        coalesce(order_cells.customer_region, 'unknown') as customer_region,
        coalesce(order_cells.product_category, 'unknown') as product_category,
        coalesce(order_cells.customer_grade, '?') as customer_grade,
        coalesce(order_cells.owner_employee_id, -1) as owner_employee_id,
        0 as order_intake,
        0 as order_count,
        0 as turnover,
        0 as credit_note_amount,
        0 as otd_due_lines,
        0 as otd_on_time_lines,
        count(*) as otif_due_orders,
        sum(case when orders.is_on_time_in_full then 1 else 0 end) as otif_orders,
        0 as delivered_net_sales,
        0 as delivered_cogs
    from orders
    left join order_cells
        on orders.sales_order_id = order_cells.sales_order_id
    where orders.is_otif_due
    group by 1, 2, 3, 4, 5

),

delivered as (

    select
        delivered_date as date_day,
        customer_region,
        product_category,
        customer_grade,
        owner_employee_id,
        0 as order_intake,
        0 as order_count,
        0 as turnover,
        0 as credit_note_amount,
        0 as otd_due_lines,
        0 as otd_on_time_lines,
        0 as otif_due_orders,
        0 as otif_orders,
        sum(net_amount) as delivered_net_sales,
        sum(cost_amount) as delivered_cogs
    from deliveries
    where
        is_delivered
        and not is_order_cancelled
    group by 1, 2, 3, 4, 5

),

unioned as (

    select * from intake
    union all
    select * from invoiced
    union all
    select * from otd
    union all
    select * from otif
    union all
    select * from delivered

),

final as (

    -- only dates of the dim_dates spine, as rpt_kpi_daily always counted
    select
        unioned.date_day,
        unioned.customer_region,
        unioned.product_category,
        unioned.customer_grade,
        unioned.owner_employee_id,
        employees.employee_code as owner_employee_code,
        employees.employee_name as owner_name,
        cast(sum(unioned.order_intake) as decimal(18, 2)) as order_intake,
        cast(sum(unioned.order_count) as integer) as order_count,
        cast(sum(unioned.turnover) as decimal(18, 2)) as turnover,
        cast(sum(unioned.credit_note_amount) as decimal(18, 2)) as credit_note_amount,
        cast(sum(unioned.otd_due_lines) as integer) as otd_due_lines,
        cast(sum(unioned.otd_on_time_lines) as integer) as otd_on_time_lines,
        cast(sum(unioned.otif_due_orders) as integer) as otif_due_orders,
        cast(sum(unioned.otif_orders) as integer) as otif_orders,
        cast(sum(unioned.delivered_net_sales) as decimal(18, 2)) as delivered_net_sales,
        cast(sum(unioned.delivered_cogs) as decimal(18, 2)) as delivered_cogs
    from unioned
    inner join dates
        on unioned.date_day = dates.date_day
    left join employees
        on unioned.owner_employee_id = employees.employee_id
    group by 1, 2, 3, 4, 5, 6, 7

)

-- stored in date_day order: a period's rows sit together, so DuckDB skips the rest
select * from final
order by date_day;

create or replace table reports.rpt_customer_sales_daily_dims as
with

order_lines as (

    select * from marts.fct_order_lines

),

customers as (

    select
        customer_id,
        customer_code,
        customer_name
    from marts.dim_customers

),

employees as (

    select
        employee_id,
        employee_code,
        employee_name
    from marts.dim_employees

),

first_lines as (

    select min(sales_order_line_id) as sales_order_line_id
    from order_lines
    group by sales_order_id

),

cells as (

    select
        order_lines.customer_id,
        order_lines.order_date,
        order_lines.customer_region,
        order_lines.product_category,
        order_lines.customer_grade,
        order_lines.owner_employee_id,
        sum(order_lines.net_amount) as net_sales,
        sum(order_lines.cost_amount) as cogs,
        sum(case when first_lines.sales_order_line_id is null then 0 else 1 end) as order_count
    from order_lines
    left join first_lines
        on order_lines.sales_order_line_id = first_lines.sales_order_line_id
    where not order_lines.is_cancelled
    group by 1, 2, 3, 4, 5, 6

),

final as (

    select
        cells.customer_id,
        customers.customer_code,
        customers.customer_name,
        cells.order_date,
        cells.customer_region,
        cells.product_category,
        cells.customer_grade,
        cells.owner_employee_id,
        employees.employee_code as owner_employee_code,
        employees.employee_name as owner_name,
        cast(cells.net_sales as decimal(18, 2)) as net_sales,
        cast(cells.cogs as decimal(18, 2)) as cogs,
        cast(cells.order_count as integer) as order_count
    from cells
    inner join customers
        on cells.customer_id = customers.customer_id
    left join employees
        on cells.owner_employee_id = employees.employee_id

)

-- stored in order_date order: a period's rows sit together, so DuckDB skips the rest
select * from final
order by order_date;

create or replace table reports.rpt_customer_first_orders_dims as
with

firsts as (

    select
        customer_id,
        customer_region,
        product_category,
        customer_grade,
        owner_employee_id,
        owner_employee_code,
        min(order_date) as first_order_date
    from reports.rpt_customer_sales_daily_dims
    group by 1, 2, 3, 4, 5, 6

)

select
    *,
    row_number() over (
        partition by customer_id
        order by
            first_order_date, customer_region, product_category, customer_grade,
            owner_employee_id
    ) = 1 as is_customers_first
from firsts
order by first_order_date;

create or replace table reports.rpt_receivables_daily_dims as
with

events as (

    select * from marts.fct_receivable_events

),

invoices as (

    select
        invoice_id,
        sales_order_id
    from marts.fct_invoices

),

order_lines as (

    select * from marts.fct_order_lines

),

employees as (

    select
        employee_id,
        employee_code,
        employee_name
    from marts.dim_employees

),

first_lines as (

    select min(sales_order_line_id) as sales_order_line_id
    from order_lines
    group by sales_order_id

),

order_cells as (

    select
        order_lines.sales_order_id,
        order_lines.customer_region,
        order_lines.customer_grade,
        order_lines.owner_employee_id
    from first_lines
    inner join order_lines
        on first_lines.sales_order_line_id = order_lines.sales_order_line_id

),

located as (

    select
        events.event_date,
        events.item_due_date,
        coalesce(order_cells.customer_region, 'unknown') as customer_region,
        coalesce(order_cells.customer_grade, '?') as customer_grade,
        coalesce(order_cells.owner_employee_id, -1) as owner_employee_id,
        events.amount,
        case when events.event_type in ('invoice', 'credit_note') then events.amount else 0 end as invoiced_amount
    from events
    left join invoices
        on events.item_invoice_id = invoices.invoice_id
    left join order_cells
        on invoices.sales_order_id = order_cells.sales_order_id

),

final as (

    select
        located.event_date,
        located.item_due_date,
        located.customer_region,
        located.customer_grade,
        located.owner_employee_id,
        employees.employee_code as owner_employee_code,
        employees.employee_name as owner_name,
        cast(sum(located.amount) as decimal(18, 2)) as receivable_change_amount,
        cast(sum(located.invoiced_amount) as decimal(18, 2)) as invoiced_gross_amount
    from located
    left join employees
        on located.owner_employee_id = employees.employee_id
    group by 1, 2, 3, 4, 5, 6, 7

)

-- stored in event_date order: a period's rows sit together, so DuckDB skips the rest
select * from final
order by event_date;

create or replace table reports.rpt_dimension_members as
with

customers as (

    select
        region,
        customer_grade
    from marts.dim_customers

),

products as (

    select product_category from marts.dim_products

),

employees as (

    select
        employee_code,
        employee_name
    from marts.dim_employees

),

kpi_cells as (

    select
        customer_region,
        product_category,
        customer_grade
    from reports.rpt_kpi_daily_dims

),

receivable_cells as (

    select
        customer_region,
        customer_grade
    from reports.rpt_receivables_daily_dims

),

inventory as (

    select product_category from reports.rpt_inventory_monthly

),

crm_cells as (

    select customer_region from reports.rpt_crm_monthly

),

opportunity_cells as (

    select
        customer_region,
        customer_grade
    from marts.fct_opportunities

),

ticket_cells as (

    select
        customer_region,
        customer_grade
    from marts.fct_service_tickets

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

select * from final;

-- phase: write
checkpoint;
