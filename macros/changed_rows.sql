{#
    Cost follows the change: order-grained incremental models (fct_order_lines,
    fct_deliveries, fct_orders) rebuild only the sales orders a refresh touched, and
    customer-grained ones (rpt_customer_sales_daily_dims, rpt_customer_first_orders_dims)
    only the customers of those orders.

    The landing lists what it changed in meta.changed_rows (ingestion/landing.py): each
    inserted, replaced or deleted row's key and the row as it was before. A model's rows
    depend on an order's header, its lines and their deliveries, so the orders to rebuild
    are those rows' orders, before and after the change (a delivery moved to another order
    changes both).

    Every row is rebuilt instead when
    - the refresh did not ask for it (var incremental_keys, set by serving/refresh.py only
      when the build before it is of the same day and project: `dbt build` by hand, a new
      day or a changed project rebuild everything);
    - the model's table does not exist yet, or --full-refresh;
    - any other table the model reads, however indirectly, changed (a customer's new
      region moves all their lines), or a table was landed whole;
    - more orders changed than var incremental_order_limit (a rebuild is then cheaper).
#}

{% macro upstream_source_tables(unique_id, found=none, seen=none) -%}
    {#- The operational tables a node reads, through every model and snapshot between. -#}
    {%- set found = [] if found is none else found -%}
    {%- set seen = [] if seen is none else seen -%}
    {%- for parent in graph.nodes[unique_id].depends_on.nodes if parent not in seen -%}
        {%- do seen.append(parent) -%}
        {%- if parent in graph.sources -%}
            {%- set table = graph.sources[parent].identifier -%}
            {%- if table not in found %}{% do found.append(table) %}{% endif -%}
        {%- elif parent in graph.nodes -%}
            {%- do upstream_source_tables(parent, found, seen) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(found) -}}
{%- endmacro %}

{% macro changed_sales_orders() -%}
    {#- The ids of the sales orders to rebuild, or none: rebuild every row. -#}
    {%- if not execute or not is_incremental() or not var('incremental_keys', false) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set keyed = ['sales_order', 'sales_order_line', 'delivery'] -%}
    {%- set upstream = upstream_source_tables(model.unique_id) -%}
    {%- set changed = run_query(
        "select table_name, count(*) filter (where id is null) from meta.changed_rows group by 1"
    ) -%}
    {%- for table, whole in changed.rows if table in upstream -%}
        {%- if table not in keyed or whole > 0 -%}{{- return(none) -}}{%- endif -%}
    {%- endfor -%}
    {%- set found = run_query(
        "select distinct sales_order_id from (
            select id as sales_order_id from meta.changed_rows
            where table_name = 'sales_order'
            union all
            select cast(json_extract_string(old_row, '$.sales_order_id') as bigint)
            from meta.changed_rows
            where table_name in ('sales_order_line', 'delivery')
            union all
            select lines.sales_order_id
            from " ~ source('operational', 'sales_order_line') ~ " as lines
            inner join meta.changed_rows as changed
                on changed.table_name = 'sales_order_line' and changed.id = lines.id
            union all
            select deliveries.sales_order_id
            from " ~ source('operational', 'delivery') ~ " as deliveries
            inner join meta.changed_rows as changed
                on changed.table_name = 'delivery' and changed.id = deliveries.id
        ) where sales_order_id is not null
        order by 1"
    ) -%}
    {%- set ids = found.columns[0].values() | list -%}
    {%- if ids | length > var('incremental_order_limit', 20000) -%}{{- return(none) -}}{%- endif -%}
    {{- return(ids) -}}
{%- endmacro %}

{% macro changed_customers() -%}
    {#- The ids of the customers whose rows to rebuild, or none: rebuild every row. The
        customers of the orders changed, before and after (an order moved to another
        customer changes both), and the unknown member -1 (an order whose customer is
        missing counts there). -#}
    {%- set orders = changed_sales_orders() -%}
    {%- if orders is none -%}{{- return(none) -}}{%- endif -%}
    {%- if not orders -%}{{- return([-1]) -}}{%- endif -%}
    {%- set found = run_query(
        "select distinct customer_id from (
            select customer_id from " ~ source('operational', 'sales_order') ~ "
            where id in (" ~ (orders | join(', ')) ~ ")
            union all
            select cast(json_extract_string(old_row, '$.customer_id') as bigint)
            from meta.changed_rows
            where table_name = 'sales_order'
            union all
            select -1
        ) where customer_id is not null
        order by 1"
    ) -%}
    {{- return(found.columns[0].values() | list) -}}
{%- endmacro %}

{% macro keys_filter(column, ids) -%}
    {#- `where <column> in (...)` for an incremental build of the ids, else nothing. -#}
    {%- if ids is not none -%}
        where {{ column }} in ({{ (ids | join(', ')) if ids else 'null' }})
    {%- endif -%}
{%- endmacro %}

{% macro delete_changed_customers() -%}
    {#- pre_hook of the customer-grained incremental models, as delete_changed_sales_orders. -#}
    {%- if is_incremental() -%}
        delete from {{ this }} {{ keys_filter('customer_id', changed_customers()) }}
    {%- endif -%}
{%- endmacro %}

{% macro delete_changed_sales_orders() -%}
    {#- pre_hook of the order-grained incremental models: drop the rows about to be rebuilt
        (every row when all are rebuilt in place). -#}
    {%- if is_incremental() -%}
        {%- set ids = changed_sales_orders() -%}
        delete from {{ this }} {{ keys_filter('sales_order_id', ids) }}
    {%- endif -%}
{%- endmacro %}
