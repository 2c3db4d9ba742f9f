{#- Customer at churn risk: no order for more than var churn_interval_multiple (2) times the
    customer's usual ordering interval = (last order date - first order date) / (order days -
    1), for customers with at least var churn_min_orders order days. Silences shorter than
    var churn_min_silent_days are noise; longer than var churn_max_silent_days the customer
    is lapsed, no longer "at risk". The last order date is the episode in the rule key. -#}
{%- set txt = dbt.type_string() -%}
{%- set multiple = var('churn_interval_multiple', 2) -%}
{%- set min_orders = var('churn_min_orders', 3) -%}
{%- set min_silent = var('churn_min_silent_days', 14) -%}
{%- set max_silent = var('churn_max_silent_days', 365) -%}
{%- set response_days = var('action_response_days', {}).get('churn_risk', 7) -%}

with

orders as (

    select * from {{ ref('fct_orders') }}
    where
        not is_cancelled
        and customer_id <> -1
        and order_date <= {{ as_of_date() }}

),

customers as (

    select
        customer_id,
        customer_name,
        segment,
        owner_employee_id
    from {{ ref('dim_customers') }}

),

employees as (

    select employee_id from {{ ref('dim_employees') }}
    where is_active and employee_id <> -1

),

owners as (

    select employee_id from {{ ref('int_action_owners') }}
    where department = 'sales'

),

per_customer as (

    select
        customer_id,
        count(distinct order_date) as order_days,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        sum(
            case
                when order_date > cast({{ dbt.dateadd('day', -365, as_of_date()) }} as date)
                    then net_amount
                else 0
            end
        ) as last_365d_net_sales
    from orders
    group by customer_id

),

measured as (

    select
        per_customer.*,
        cast(
            {{ dbt.datediff('first_order_date', 'last_order_date', 'day') }}
            as decimal(18, 1)
        ) / nullif(per_customer.order_days - 1, 0) as raw_interval_days,
        {{ dbt.datediff('last_order_date', as_of_date(), 'day') }} as days_silent
    from per_customer
    where per_customer.order_days >= {{ min_orders }}

),

rounded as (

    select
        measured.*,
        cast(measured.raw_interval_days as decimal(18, 1)) as usual_interval_days,
        cast({{ multiple }} * measured.raw_interval_days as decimal(18, 1)) as limit_days
    from measured

),

final as (

    select
        'churn_risk:customer:' || cast(rounded.customer_id as {{ txt }})
        || ':since:' || cast(rounded.last_order_date as {{ txt }}) as rule_key,
        'churn_risk' as rule,
        'customer' as reference_type,
        rounded.customer_id as reference_id,
        coalesce(customer_owner.employee_id, owners.employee_id, -1) as owner_employee_id,
        'Win back ' || coalesce(customers.customer_name, 'customer') || ': no order since '
        || cast(rounded.last_order_date as {{ txt }}) as title,
        'No order for ' || cast(rounded.days_silent as {{ txt }})
        || ' days; usually orders every ' || cast(rounded.usual_interval_days as {{ txt }})
        || ' days (' || cast(rounded.order_days as {{ txt }}) || ' order days from '
        || cast(rounded.first_order_date as {{ txt }}) || ' to '
        || cast(rounded.last_order_date as {{ txt }}) || '; limit {{ multiple }} x = '
        || cast(rounded.limit_days as {{ txt }}) || ' days). Net sales in the last 365 days '
        || cast({{ money('rounded.last_365d_net_sales') }} as {{ txt }}) || '.' as reason,
        case when customers.segment = 'key_account' then 'high' else 'medium' end as severity,
        {{ money('rounded.last_365d_net_sales') }} as amount,
        cast({{ dbt.dateadd('day', response_days, as_of_date()) }} as date) as due_date,
        '{"days_silent": ' || cast(rounded.days_silent as {{ txt }})
        || ', "usual_interval_days": "' || cast(rounded.usual_interval_days as {{ txt }})
        || '", "order_days": ' || cast(rounded.order_days as {{ txt }})
        || ', "last_order_date": "' || cast(rounded.last_order_date as {{ txt }})
        || '"}' as details
    from rounded
    left join customers
        on rounded.customer_id = customers.customer_id
    left join employees as customer_owner
        on customers.owner_employee_id = customer_owner.employee_id
    left join owners
        on 1 = 1
    where
        rounded.days_silent > rounded.raw_interval_days * {{ multiple }}
        and rounded.days_silent >= {{ min_silent }}
        and rounded.days_silent <= {{ max_silent }}

)

select * from final
