{#- A naive UTC timestamp as the calendar date in the company's timezone.
    Works on DuckDB (ICU) and PostgreSQL: `ts at time zone 'UTC'` makes it a
    timestamptz, `at time zone <tz>` turns that into local wall-clock time. -#}
{% macro to_local_date(column) -%}
    cast(({{ column }} at time zone 'UTC') at time zone '{{ var("company_timezone") }}' as date)
{%- endmacro %}


{#- The as-of date as a Python date: var as_of_date, else today in company_timezone. -#}
{% macro as_of_date_value() -%}
    {%- set configured = var('as_of_date', '') -%}
    {%- if configured -%}
        {{ return(modules.datetime.date.fromisoformat(configured | string)) }}
    {%- else -%}
        {%- set tz = modules.pytz.timezone(var('company_timezone')) -%}
        {{ return(modules.datetime.datetime.now(tz).date()) }}
    {%- endif -%}
{%- endmacro %}


{#- The as-of date as a SQL date literal. -#}
{% macro as_of_date() -%}
    cast('{{ as_of_date_value().isoformat() }}' as date)
{%- endmacro %}


{#- The local dates of the earliest and latest of a timestamp column, as rows of
    `business_date`: for a min/max over local dates, two conversions instead of one a row. -#}
{% macro local_date_bounds(relation, column) -%}
    select {{ to_local_date('min(' ~ column ~ ')') }} as business_date from {{ relation }}
    union all
    select {{ to_local_date('max(' ~ column ~ ')') }} as business_date from {{ relation }}
{%- endmacro %}
