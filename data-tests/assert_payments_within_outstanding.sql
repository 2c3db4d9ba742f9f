{{ config(severity='warn') }}
-- The services refuse a payment larger than what is outstanding (gross + credit notes -
-- payments so far): replaying each receivable item's ledger in date order (documents
-- before payments on the same day), no payment may take the balance below zero. A credit
-- note after full payment may (the customer is owed a refund), so only payments are checked.
-- Warn, not error: it flags stores filled around the services (imports, demo data).
with

events as (

    select
        *,
        sum(amount) over (
            partition by item_invoice_id
            order by
                event_date,
                case when event_type in ('invoice', 'credit_note') then 0 else 1 end,
                receivable_event_id
            rows between unbounded preceding and current row
        ) as balance_after
    from {{ ref('fct_receivable_events') }}

)

select *
from events
where event_type = 'payment'
    and balance_after < 0
