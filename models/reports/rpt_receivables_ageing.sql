{#- Receivables as of the as-of date by customer and ageing bucket, from the receivables
    ledger (fct_receivable_events): an item's open amount is the sum of its events on or
    before the as-of date; its age is the days past its due date (0-30 includes amounts
    not yet due). -#}
with

events as (

    select * from {{ ref('fct_receivable_events') }}

),

customers as (

    select
        customer_id,
        customer_code,
        customer_name
    from {{ ref('dim_customers') }}

),

open_items as (

    select
        item_invoice_id,
        customer_id,
        item_due_date,
        {{ dbt.datediff('item_due_date', as_of_date(), 'day') }} as days_past_due,
        sum(amount) as open_amount
    from events
    where event_date <= {{ as_of_date() }}
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

),

final as (

    select
        {{ as_of_date() }} as as_of_date,
        bucketed.customer_id,
        customers.customer_code,
        customers.customer_name,
        bucketed.ageing_bucket,
        cast(case bucketed.ageing_bucket
            when '0-30' then 1 when '31-60' then 2 when '61-90' then 3 when '91-120' then 4 else 5
        end as integer) as bucket_order,
        {{ money('sum(bucketed.open_amount)') }} as open_amount,
        {{ money('sum(case when bucketed.days_past_due > 0 then bucketed.open_amount else 0 end)') }} as overdue_amount,
        cast(count(*) as integer) as open_items
    from bucketed
    inner join customers
        on bucketed.customer_id = customers.customer_id
    group by 1, 2, 3, 4, 5, 6

)

select * from final
