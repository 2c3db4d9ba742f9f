{#- Purchase paid without an approved request (先审批、后付款, compliance): a supplier payment
    whose purchase order has no approved 'purchase' request, or whose approval was granted
    only after the payment date. The approval it rests on is the one the payment names if that
    one fits (approved, purchase, same purchase order), else the earliest approved purchase
    request for the order. A payment is a fact: the finding stays until someone closes the task. -#}
{%- set txt = dbt.type_string() -%}
{%- set response_days = var('action_response_days', {}).get('unapproved_supplier_payment', 5) -%}

with

payments as (

    select * from {{ ref('fct_supplier_payments') }}

),

approvals as (

    select * from {{ ref('fct_approval_requests') }}
    where
        approval_kind = 'purchase'
        and approval_status = 'approved'
        and reference_type = 'purchase_order'

),

suppliers as (

    select
        supplier_id,
        supplier_name
    from {{ ref('dim_suppliers') }}

),

owners as (

    select employee_id from {{ ref('int_action_owners') }}
    where department = 'finance'

),

earliest_approval as (

    select
        reference_id as purchase_order_id,
        approval_request_id,
        request_no,
        decided_date,
        row_number() over (
            partition by reference_id
            order by decided_at, approval_request_id
        ) as rank_in_order
    from approvals

),

based as (

    select
        payments.*,
        coalesce(named.approval_request_id, earliest.approval_request_id) as basis_request_id,
        coalesce(named.request_no, earliest.request_no) as basis_request_no,
        coalesce(named.decided_date, earliest.decided_date) as basis_decided_date
    from payments
    left join approvals as named
        on
            payments.approval_request_id = named.approval_request_id
            and payments.purchase_order_id = named.reference_id
    left join earliest_approval as earliest
        on
            payments.purchase_order_id = earliest.purchase_order_id
            and earliest.rank_in_order = 1

),

violations as (

    select *
    from based
    where
        basis_request_id is null
        or basis_decided_date is null
        or basis_decided_date > paid_date

),

final as (

    select
        'unapproved_supplier_payment:payment:'
        || cast(violations.supplier_payment_id as {{ txt }}) as rule_key,
        'unapproved_supplier_payment' as rule,
        'supplier_payment' as reference_type,
        violations.supplier_payment_id as reference_id,
        coalesce(owners.employee_id, -1) as owner_employee_id,
        'Check supplier payment ' || violations.payment_no || ' to '
        || coalesce(suppliers.supplier_name, 'unknown supplier') as title,
        'Paid ' || cast(violations.payment_amount as {{ txt }}) || ' on '
        || cast(violations.paid_date as {{ txt }}) || ' for purchase order '
        || coalesce(violations.po_no, '?')
        || case
            when violations.basis_request_id is null
                then ' with no approved purchase request (approve before pay).'
            else
                ' before its approval ' || violations.basis_request_no || ' was granted on '
                || cast(violations.basis_decided_date as {{ txt }})
                || ' (approve before pay).'
        end as reason,
        'high' as severity,
        {{ money('violations.payment_amount') }} as amount,
        cast({{ dbt.dateadd('day', response_days, as_of_date()) }} as date) as due_date,
        '{"purchase_order_id": ' || cast(violations.purchase_order_id as {{ txt }})
        || ', "approval_request_id": '
        || coalesce(cast(violations.basis_request_id as {{ txt }}), 'null')
        || '}' as details
    from violations
    left join suppliers
        on violations.supplier_id = suppliers.supplier_id
    left join owners
        on 1 = 1

)

select * from final
