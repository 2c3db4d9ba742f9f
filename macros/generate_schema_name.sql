{#- Layer schemas (staging, intermediate, marts, reports, ...) are used as-is, without
    the target schema as prefix: dashboards and `mis kpi` read `reports.rpt_*` on every
    target. Models without a +schema land in the target schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
