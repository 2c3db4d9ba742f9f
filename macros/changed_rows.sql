{#
    Cost follows the change: order-grained incremental models (fct_order_lines,
    fct_deliveries, fct_orders) rebuild only the sales orders a refresh touched, and
    customer-grained ones (rpt_customer_sales_daily and its _dims, rpt_customer_first_orders_dims,
    rpt_lead_to_cash) only the customers of those orders.

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
    {%- for parent in graph.nodes[unique_id].depends_on.get('nodes', []) if parent not in seen -%}
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

{% macro changed_upstream(unique_id) -%}
    {#- The operational tables a node reads that the landing changed: {table: landed whole}. -#}
    {%- set upstream = upstream_source_tables(unique_id) -%}
    {%- set changed = run_query(
        "select table_name, count(*) filter (where id is null) > 0 from meta.changed_rows group by 1"
    ) -%}
    {%- set found = {} -%}
    {%- for table, whole in changed.rows if table in upstream -%}
        {%- do found.update({table: whole}) -%}
    {%- endfor -%}
    {{- return(found) -}}
{%- endmacro %}

{% macro changed_sales_orders() -%}
    {#- The ids of the sales orders to rebuild, or none: rebuild every row. -#}
    {%- if not execute or not is_incremental() or not var('incremental_keys', false) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set keyed = ['sales_order', 'sales_order_line', 'delivery'] -%}
    {%- for table, whole in changed_upstream(model.unique_id).items() -%}
        {%- if table not in keyed or whole -%}{{- return(none) -}}{%- endif -%}
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

{% macro keys_condition(column, ids) -%}
    {#- `<column> in (...)` for an incremental build of the ids (a list of SQL literals),
        else nothing. -#}
    {%- if ids is not none -%}
        {{ column }} in ({{ (ids | join(', ')) if ids else 'null' }})
    {%- endif -%}
{%- endmacro %}

{% macro keys_filter(column, ids) -%}
    {#- `where <column> in (...)` for an incremental build of the ids, else nothing. -#}
    {%- if ids is not none -%}where {{ keys_condition(column, ids) }}{%- endif -%}
{%- endmacro %}

{% macro delete_changed_rows(column, ids) -%}
    {#- pre_hook of an incremental model: drop the rows about to be rebuilt (every row when
        ``ids`` is none: all are rebuilt in place), and note which they are for the model's
        tests (record_rebuilt_rows). -#}
    {%- if is_incremental() -%}
        {%- do record_rebuilt_rows(keys_condition(column, ids)) -%}
        delete from {{ this }} {{ keys_filter(column, ids) }}
    {%- endif -%}
{%- endmacro %}

{% macro delete_changed_customers() -%}
    {#- pre_hook of the customer-grained incremental models. -#}
    {{- delete_changed_rows('customer_id', changed_customers()) -}}
{%- endmacro %}

{% macro delete_changed_sales_orders() -%}
    {#- pre_hook of the order-grained incremental models. -#}
    {{- delete_changed_rows('sales_order_id', changed_sales_orders()) -}}
{%- endmacro %}

{% macro changed_order_days(in_orders) -%}
    {#- SQL: the days the orders ``in_orders`` (a parenthesised list of ids) count on in
        their lines and deliveries (order, promised and delivery dates), as they are now
        (their facts are rebuilt before the models calling this) and as they were (the
        landing's before-images; a few days too many do no harm). -#}
    select order_date as day from {{ source('operational', 'sales_order') }}
    where id in {{ in_orders }}
    union all
    select promised_date from {{ source('operational', 'sales_order') }}
    where id in {{ in_orders }}
    union all
    select promised_date from {{ ref('fct_order_lines') }}
    where sales_order_id in {{ in_orders }}
    union all
    select delivered_date from {{ ref('fct_deliveries') }}
    where sales_order_id in {{ in_orders }}
    union all
    select cast(json_extract_string(old_row, '$.' || field) as date)
    from meta.changed_rows, (values ('order_date'), ('promised_date')) as fields (field)
    where table_name in ('sales_order', 'sales_order_line')
    union all
    select {{ to_local_date("cast(json_extract_string(old_row, '$.delivered_at') as timestamp)") }}
    from meta.changed_rows
    where table_name = 'delivery'
{%- endmacro %}

{% macro changed_days() -%}
    {#- The days of a day-grained model (rpt_kpi_daily_dims) to rebuild, or none: rebuild
        every day. Its rows are sums by day of the orders' lines, deliveries and invoices,
        so the days are every date the changed orders counted on (changed_order_days), their
        due dates and their invoices' issue dates. Every day is rebuilt instead when the
        orders would be (changed_sales_orders), or a day falls in the date spine's first
        year or after the as-of date's year: dim_dates runs from 1 January of the first
        business date to 31 December of the later of the last one and the as-of date, so the
        spine itself may have moved, and with it which rows of other days count. -#}
    {%- set orders = changed_sales_orders() -%}
    {%- if orders is none -%}{{- return(none) -}}{%- endif -%}
    {%- if not orders -%}{{- return([]) -}}{%- endif -%}
    {%- set in_orders = "(" ~ (orders | join(', ')) ~ ")" -%}
    {%- set found = run_query(
        "with days as (
            " ~ changed_order_days(in_orders) ~ "
            union all
            select due_date from " ~ ref('fct_orders') ~ "
            where sales_order_id in " ~ in_orders ~ "
            union all
            select invoices.issue_date from " ~ ref('fct_invoices') ~ " as invoices
            where invoices.sales_order_id in " ~ in_orders ~ "
                or invoices.invoice_id in (
                    select invoice_lines.invoice_id
                    from " ~ ref('stg_erp__invoice_lines') ~ " as invoice_lines
                    where invoice_lines.sales_order_line_id in (
                        select sales_order_line_id from " ~ ref('fct_order_lines') ~ "
                        where sales_order_id in " ~ in_orders ~ "
                        union all
                        select id from meta.changed_rows
                        where table_name = 'sales_order_line'
                    )
                )
        ),

        spine as (
            select min(date_day) as first_day from " ~ ref('dim_dates') ~ "
        )

        select
            'date ''' || strftime(day, '%Y-%m-%d') || '''',
            year(day) <= year(spine.first_day) or year(day) > year(" ~ as_of_date() ~ ")
        from (select distinct day from days where day is not null), spine
        order by 1"
    ) -%}
    {%- if found.columns[1].values() | select | list -%}{{- return(none) -}}{%- endif -%}
    {{- return(found.columns[0].values() | list) -}}
{%- endmacro %}

{% macro changed_months() -%}
    {#- The months of a month-grained model of order lines and deliveries (rpt_sales_monthly)
        to rebuild, or none: rebuild every month. The months of the days the changed orders
        count on (changed_order_days), now and before the change. -#}
    {%- set orders = changed_sales_orders() -%}
    {%- if orders is none -%}{{- return(none) -}}{%- endif -%}
    {%- if not orders -%}{{- return([]) -}}{%- endif -%}
    {%- set found = run_query(
        "select distinct 'date ''' || strftime(date_trunc('month', day), '%Y-%m-%d') || ''''
        from (" ~ changed_order_days("(" ~ (orders | join(', ')) ~ ")") ~ ")
        where day is not null
        order by 1"
    ) -%}
    {{- return(found.columns[0].values() | list) -}}
{%- endmacro %}

{% macro changed_event_days() -%}
    {#- The event dates of rpt_receivables_daily_dims to rebuild, or none: rebuild every
        day. When only sales orders changed (changed_sales_orders), the ledger itself did not:
        what may have moved is the cell (region, grade, owner) of those orders' invoices and
        payments, so their event dates are rebuilt, whole. -#}
    {%- set orders = changed_sales_orders() -%}
    {%- if orders is none -%}{{- return(none) -}}{%- endif -%}
    {%- if not orders -%}{{- return([]) -}}{%- endif -%}
    {%- set found = run_query(
        "select distinct 'date ''' || strftime(events.event_date, '%Y-%m-%d') || ''''
        from " ~ ref('fct_receivable_events') ~ " as events
        inner join " ~ ref('fct_invoices') ~ " as invoices
            on events.item_invoice_id = invoices.invoice_id
        where invoices.sales_order_id in (" ~ (orders | join(', ')) ~ ")
        order by 1"
    ) -%}
    {{- return(found.columns[0].values() | list) -}}
{%- endmacro %}

{% macro reset_rebuilt_rows() -%}
    {#- on-run-start: no model of this dbt invocation has rebuilt only some rows yet. -#}
    {%- if execute and target.type == 'duckdb' -%}
        {%- do run_query("create schema if not exists meta") -%}
        {%- do run_query(
            "create or replace table meta.rebuilt_rows (model varchar, condition varchar)"
        ) -%}
    {%- endif -%}
{%- endmacro %}

{% macro record_rebuilt_rows(condition) -%}
    {#- Note that this invocation rebuilt only the rows of the model meeting ``condition``
        (none: every row). -#}
    {%- if condition and target.type == 'duckdb' -%}
        {%- do run_query(
            "insert into meta.rebuilt_rows values ('" ~ model.unique_id ~ "', '"
            ~ (condition | replace("'", "''")) ~ "')"
        ) -%}
    {%- endif -%}
{%- endmacro %}

{% macro rebuilt_rows_condition() -%}
    {#- For a data test: the rows of the model under test that this invocation rebuilt, or
        none (test every row). Rows not rebuilt passed the same tests when they were built
        and are unchanged since. A test that also reads another node this invocation
        rebuilds (a relationships test's parent) tests every row: that parent's rows may
        have gone. A node not selected is one the change did not reach (the refresh selects
        everything downstream of the changed tables). -#}
    {%- if not execute or not var('incremental_keys', false) or target.type != 'duckdb' -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set tested = model.get('attached_node') -%}
    {%- if not tested -%}{{- return(none) -}}{%- endif -%}
    {%- for node in model.depends_on.nodes if node != tested -%}
        {%- if node in selected_resources or node not in graph.nodes -%}{{- return(none) -}}{%- endif -%}
    {%- endfor -%}
    {%- set found = run_query(
        "select condition from meta.rebuilt_rows where model = '" ~ tested ~ "'"
    ) -%}
    {{- return(found.rows[0][0] if found.rows else none) -}}
{%- endmacro %}

{% macro get_where_subquery(relation) -%}
    {#- dbt's own (the test's `where` config), and the rows this invocation rebuilt:
        tests follow the change as the models do (rebuilt_rows_condition). -#}
    {%- set conditions = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}{%- do conditions.append(where) -%}{%- endif -%}
    {%- set rebuilt = rebuilt_rows_condition() -%}
    {%- if rebuilt -%}{%- do conditions.append(rebuilt) -%}{%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where ({{ conditions | join(') and (') }})) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
