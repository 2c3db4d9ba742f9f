-- On-hand = sum of stock movements, per product; and the ledger never goes negative.
with

levels as (

    select product_id, on_hand_quantity from {{ ref('stg_erp__stock_levels') }}

),

ledger as (

    select product_id, sum(quantity) as ledger_quantity, min(balance_after) as min_balance
    from {{ ref('stg_erp__stock_movements') }}
    group by product_id

)

select
    coalesce(levels.product_id, ledger.product_id) as product_id,
    levels.on_hand_quantity,
    ledger.ledger_quantity,
    ledger.min_balance
from levels
full outer join ledger
    on levels.product_id = ledger.product_id
where coalesce(levels.on_hand_quantity, 0) <> coalesce(ledger.ledger_quantity, 0)
    or ledger.min_balance < 0
