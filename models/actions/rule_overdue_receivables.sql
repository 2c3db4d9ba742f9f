{#- Overdue receivable: an invoice (receivable item, gross) with an open amount on the as-of
    date, more than var overdue_receivable_grace_days past its due date. Open amount from the
    receivables ledger (credit notes, payments and refunds dated on or before the as-of date).
    Finance chases it (int_action_owners, department finance). -#}
{%- set txt = dbt.type_string() -%}
{%- set grace_days = var('overdue_receivable_grace_days', 0) -%}
{%- set response_days = var('action_response_days', {}).get('overdue_receivable', 3) -%}

with

events as (

    select * from {{ ref('fct_receivable_events') }}
    where event_date <= {{ as_of_date() }}

),

invoices as (

    select
        invoice_id,
        invoice_no,
        customer_id,
        issue_date
    from {{ ref('fct_invoices') }}

),

customers as (

    select
        customer_id,
        customer_name
    from {{ ref('dim_customers') }}

),

owners as (

    select employee_id from {{ ref('int_action_owners') }}
    where department = 'finance'

),

items as (

    select
        item_invoice_id,
        item_due_date,
        sum(amount) as open_amount
    from events
    group by item_invoice_id, item_due_date

),

overdue as (

    select
        items.*,
        {{ dbt.datediff('items.item_due_date', as_of_date(), 'day') }} as days_overdue
    from items
    where
        items.open_amount > 0
        and items.item_due_date < {{ as_of_date() }}

),

final as (

    select
        'overdue_receivable:invoice:' || cast(overdue.item_invoice_id as {{ txt }})
            as rule_key,
        'overdue_receivable' as rule,
        'invoice' as reference_type,
        overdue.item_invoice_id as reference_id,
        coalesce(owners.employee_id, -1) as owner_employee_id,
        'Collect overdue invoice ' || coalesce(invoices.invoice_no, 'unknown')
        || ' (' || coalesce(customers.customer_name, 'unknown customer') || ')' as title,
        'Open ' || cast({{ money('overdue.open_amount') }} as {{ txt }})
        || ' (gross) on invoice ' || coalesce(invoices.invoice_no, 'unknown')
        || ' issued ' || coalesce(cast(invoices.issue_date as {{ txt }}), '?')
        || ', due ' || cast(overdue.item_due_date as {{ txt }})
        || ': ' || cast(overdue.days_overdue as {{ txt }}) || ' days overdue.'
            as reason,
        case
            when overdue.days_overdue > 60 then 'high'
            when overdue.days_overdue > 30 then 'medium'
            else 'low'
        end as severity,
        {{ money('overdue.open_amount') }} as amount,
        cast({{ dbt.dateadd('day', response_days, as_of_date()) }} as date) as due_date,
        '{"customer_id": ' || cast(coalesce(invoices.customer_id, -1) as {{ txt }})
        || ', "days_overdue": ' || cast(overdue.days_overdue as {{ txt }})
        || ', "invoice_due_date": "' || cast(overdue.item_due_date as {{ txt }})
        || '"}' as details
    from overdue
    left join invoices
        on overdue.item_invoice_id = invoices.invoice_id
    left join customers
        on invoices.customer_id = customers.customer_id
    left join owners
        on 1 = 1
    where overdue.days_overdue > {{ grace_days }}

)

select * from final
