{#- Every open finding of every rule, with its owner's name and department: what the
    write-back turns into tasks and draft purchase orders, and what dashboards list. -#}
{%- set rules = [
    'rule_stalled_opportunities',
    'rule_churn_risk_customers',
    'rule_stock_below_reorder_point',
    'rule_overdue_receivables',
    'rule_deliveries_at_risk',
    'rule_unapproved_supplier_payments',
    'rule_approvals_waiting',
] -%}
{%- set columns = [
    'rule_key', 'rule', 'reference_type', 'reference_id', 'owner_employee_id', 'title',
    'reason', 'severity', 'amount', 'due_date', 'details',
] -%}

with

{% for rule in rules %}
    {{ rule }} as (

        select {{ columns | join(', ') }} from {{ ref(rule) }}

    ),

{% endfor %}
employees as (

    select
        employee_id,
        employee_name,
        department
    from {{ ref('dim_employees') }}

),

unioned as (

    {% for rule in rules %}
        select * from {{ rule }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        unioned.rule_key,
        unioned.rule,
        unioned.reference_type,
        unioned.reference_id,
        unioned.owner_employee_id,
        coalesce(employees.employee_name, 'Unassigned') as owner_name,
        coalesce(employees.department, 'unknown') as owner_department,
        unioned.title,
        unioned.reason,
        unioned.severity,
        unioned.amount,
        unioned.due_date,
        unioned.details,
        {{ as_of_date() }} as as_of_date
    from unioned
    left join employees
        on unioned.owner_employee_id = employees.employee_id

)

select * from final
