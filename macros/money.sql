{#- DOMAIN.md: a line's net amount = quantity × unit price × (1 − discount), rounded
    half-up to 2 decimals per line. DuckDB and PostgreSQL both round numerics half away
    from zero. The widening cast keeps DuckDB from overflowing DECIMAL(18, x). -#}
{% macro line_net_amount(quantity, unit_price, discount_rate) -%}
    cast(round(cast({{ quantity }} as decimal(38, 3)) * {{ unit_price }} * (1 - {{ discount_rate }}), 2) as decimal(18, 2))
{%- endmacro %}


{#- quantity × unit cost, rounded half-up to cents. -#}
{% macro cost_amount(quantity, unit_cost) -%}
    cast(round(cast({{ quantity }} as decimal(38, 3)) * {{ unit_cost }}, 2) as decimal(18, 2))
{%- endmacro %}


{% macro money(expression) -%}
    cast({{ expression }} as decimal(18, 2))
{%- endmacro %}


{#- numerator / denominator as a float rate; NULL when the denominator is 0 or NULL. -#}
{% macro safe_ratio(numerator, denominator) -%}
    (cast({{ numerator }} as {{ dbt.type_float() }}) / nullif(cast({{ denominator }} as {{ dbt.type_float() }}), 0))
{%- endmacro %}
