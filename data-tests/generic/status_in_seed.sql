{#- accepted_values fed from seeds/status_values.csv (generated from operational/states.py),
    so statuses have one definition. Fails on every value the state machine does not know. -#}
{% test status_in_seed(model, column_name, machine) %}

    select
        {{ column_name }} as unexpected_value,
        count(*) as n_rows
    from {{ model }}
    where {{ column_name }} is not null
        and {{ column_name }} not in (
            select status
            from {{ ref('status_values') }}
            where machine = '{{ machine }}'
        )
    group by {{ column_name }}

{% endtest %}
