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
    {{- return(sales_orders_changed_upstream()) -}}
{%- endmacro %}

{% macro sales_orders_changed_upstream() -%}
    {#- The ids of the sales orders whose rows of this node the landing may have changed, or
        none (any of them): a table other than orders, lines and deliveries changed, one
        was landed whole, or too many orders changed. -#}
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
    {#- The ids of the customers whose rows to rebuild, or none: rebuild every row. -#}
    {{- return(customers_of_orders(changed_sales_orders())) -}}
{%- endmacro %}

{% macro customers_of_orders(orders) -%}
    {#- The customers of the orders ``orders`` (a list of ids; none: every customer), before
        and after (an order moved to another customer changes both), and the unknown member
        -1 (an order whose customer is missing counts there). -#}
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
    {%- if ids is not none -%}{{ column }} in {{ keys_list(ids) }}{%- endif -%}
{%- endmacro %}

{% macro keys_filter(column, ids) -%}
    {#- `where <column> in (...)` for an incremental build of the ids, else nothing. -#}
    {%- if ids is not none -%}where {{ keys_condition(column, ids) }}{%- endif -%}
{%- endmacro %}

{% macro keys_list(ids) -%}
    {#- The SQL list `(...)` of the ids (a list of SQL literals). -#}
    ({{ (ids | join(', ')) if ids else 'null' }})
{%- endmacro %}

{% macro delete_changed_rows(column, ids) -%}
    {#- pre_hook of an incremental model: drop the rows about to be rebuilt (every row when
        ``ids`` is none: all are rebuilt in place), and note which they are for the model's
        tests (record_rebuilt_rows). -#}
    {%- if is_incremental() -%}
        {%- do record_rebuilt_rows(column, ids) -%}
        delete from {{ this }} {{ keys_filter(column, ids) }}
    {%- endif -%}
{%- endmacro %}

{% macro note_changed_view_rows(grain='source') -%}
    {#- pre_hook of the staging and intermediate views: note which of the view's rows the
        landing may have changed, for its tests and for the `relationships` tests that read
        it (rebuilt_rows_condition). A view is never rebuilt, but the rows it shows change
        with its sources. ``grain``:
        - 'source': a staging view of one operational table, its key the table's `id`
          renamed (`id as <key>`): the rows of the ids the landing inserted, replaced or
          deleted;
        - 'sales_order': a view of orders, lines and deliveries with a sales_order_id
          column: the orders touched (sales_orders_changed_upstream);
        - 'customer': a view with a customer_id column, a function of those orders: their
          customers (customers_of_orders).
        Nothing is noted (every row is tested) when the refresh did not ask for it
        (incremental_keys), a table was landed whole, another table the view reads changed
        or too many keys changed. -#}
    {%- if execute and var('incremental_keys', false) and target.type == 'duckdb' -%}
        {%- if grain == 'source' -%}
            {%- do note_changed_source_rows() -%}
        {%- elif grain == 'sales_order' -%}
            {%- do record_rebuilt_rows('sales_order_id', sales_orders_changed_upstream()) -%}
        {%- elif grain == 'customer' -%}
            {%- do record_rebuilt_rows('customer_id',
                                       customers_of_orders(sales_orders_changed_upstream())) -%}
        {%- else -%}
            {%- do exceptions.raise_compiler_error("note_changed_view_rows: unknown grain " ~ grain) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro note_changed_source_rows() -%}
    {#- note_changed_view_rows('source'). -#}
    {%- set parents = model.depends_on.get('nodes', []) -%}
    {%- if parents | length != 1 or parents[0] not in graph.sources -%}{{- return(none) -}}{%- endif -%}
    {%- set key = modules.re.search('\\bid as (\\w+)', model.raw_code) -%}
    {%- if not key -%}{{- return(none) -}}{%- endif -%}
    {%- set found = run_query(
        "select id from meta.changed_rows where table_name = '"
        ~ graph.sources[parents[0]].identifier ~ "' order by id nulls first"
    ) -%}
    {%- set ids = found.columns[0].values() | list -%}
    {%- if (ids and ids[0] is none) or ids | length > var('incremental_order_limit', 20000) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- do record_rebuilt_rows(key.group(1), ids) -%}
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
            "create or replace table meta.rebuilt_rows "
            "(model varchar, key_column varchar, keys varchar)"
        ) -%}
    {%- endif -%}
{%- endmacro %}

{% macro defer_checkpoints() -%}
    {#- on-run-start of an incremental build: DuckDB checkpoints (writes its changed blocks
        and syncs the file) each time its write-ahead log passes 16 MB, so a build that
        rebuilds some rows of many models flushed the file to disk several times, each
        flush waiting on the disk. Let the log grow instead: the build's changes are written
        once, when dbt closes the file. A full build keeps the default, or its log would
        hold the whole warehouse. -#}
    {%- if execute and var('incremental_keys', false) and target.type == 'duckdb' -%}
        {%- do run_query("set checkpoint_threshold = '4GB'") -%}
    {%- endif -%}
{%- endmacro %}

{% macro record_rebuilt_rows(column, ids) -%}
    {#- Note that this invocation rebuilt (or, for a view, may have changed) only the rows of
        the model whose ``column`` is one of ``ids`` (a list of SQL literals); ids none:
        nothing to note, every row was rebuilt. -#}
    {%- if ids is not none and target.type == 'duckdb' -%}
        {%- do run_query(
            "insert into meta.rebuilt_rows values ('" ~ model.unique_id ~ "', '" ~ column
            ~ "', '" ~ (keys_list(ids) | replace("'", "''")) ~ "')"
        ) -%}
    {%- endif -%}
{%- endmacro %}

{% macro rebuilt_rows_condition() -%}
    {#- For a data test: the rows of the model under test to read, or none (every row).

        Rows not rebuilt passed the same tests when they were built and are unchanged since,
        so a test reads the rows its model rebuilt (or, for a view, the rows the landing may
        have changed), as its model noted them (record_rebuilt_rows); a model that noted
        nothing was rebuilt whole. A node not selected is one the change did not reach (the
        refresh selects everything downstream of the changed tables).

        A test that also reads another node this invocation rebuilt reads every row, since
        a row of that node may have gone; except a `relationships` test whose parent noted
        its changed rows by the very key the test looks up: a child row can only have lost
        its parent if it changed itself or points at one of those keys, so the test reads
        those rows. On a view, only tests that judge each row on its own (and `unique`,
        see get_where_subquery) read fewer rows: a view's rows are not keyed by the rows
        rebuilt as an incremental model's are. -#}
    {%- if not execute or not var('incremental_keys', false) or target.type != 'duckdb' -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set tested = model.get('attached_node') -%}
    {%- if not tested or tested not in graph.nodes -%}{{- return(none) -}}{%- endif -%}
    {%- set test = model.get('test_metadata') or {} -%}
    {%- set kind = test.get('name') -%}
    {%- set kwargs = test.get('kwargs') or {} -%}
    {%- set parents = [] -%}
    {%- for node in model.depends_on.nodes if node != tested -%}
        {%- if node not in graph.nodes -%}{{- return(none) -}}{%- endif -%}
        {%- if node in selected_resources -%}
            {%- if kind != 'relationships' or parents -%}{{- return(none) -}}{%- endif -%}
            {%- do parents.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set materialized = graph.nodes[tested].config.materialized -%}
    {%- if materialized == 'view'
        and kind not in ['not_null', 'accepted_values', 'status_in_seed', 'expression_is_true',
                         'unique', 'relationships'] -%}
        {{- return(none) -}}
    {%- endif -%}
    {#- Only incremental models and views note rows: a table this invocation built was built
        whole, and so is read whole (no need to ask meta.rebuilt_rows). -#}
    {%- if tested in selected_resources and materialized not in ['incremental', 'view'] -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set noted = rebuilt_rows_noted([tested] + parents) -%}
    {%- if tested in selected_resources -%}
        {%- if tested not in noted -%}{{- return(none) -}}{%- endif -%}
        {%- set own = noted[tested][1] ~ ' in ' ~ noted[tested][2] -%}
    {%- elif parents -%}
        {%- set own = none -%}
    {%- else -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- if not parents -%}{{- return(own) -}}{%- endif -%}
    {%- set parent = noted.get(parents[0]) -%}
    {%- if parent is none or parent[1] != kwargs.get('field') -%}{{- return(none) -}}{%- endif -%}
    {%- set lost = kwargs.get('column_name') ~ ' in ' ~ parent[2] -%}
    {{- return(lost if own is none else '(' ~ own ~ ') or (' ~ lost ~ ')') -}}
{%- endmacro %}

{% macro rows_rebuilt_in(model_names) -%}
    {#- For a singular test: the condition on the rows of the models ``model_names`` (they
        share a key column) that this invocation rebuilt, as those models noted them
        (record_rebuilt_rows), or none: read every row.

        Some rows only when every model of ``model_names`` this invocation built noted the
        rows it rebuilt, by the same key column, and no other node the test reads was
        built: the rest of the test's inputs are as they were when it last passed. A
        model of ``model_names`` not built adds no rows. -#}
    {%- if not execute or not var('incremental_keys', false) or target.type != 'duckdb' -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set keyed = [] -%}
    {%- for node in model.depends_on.nodes if node in selected_resources -%}
        {%- if node not in graph.nodes or graph.nodes[node].name not in model_names -%}
            {{- return(none) -}}
        {%- endif -%}
        {%- do keyed.append(node) -%}
    {%- endfor -%}
    {%- if not keyed -%}{{- return(none) -}}{%- endif -%}
    {%- set noted = rebuilt_rows_noted(keyed).values() | list -%}
    {%- set columns = noted | map(attribute=1) | unique | list -%}
    {%- if noted | length != keyed | length or columns | length != 1 -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set conditions = [] -%}
    {%- for row in noted -%}{%- do conditions.append(row[1] ~ ' in ' ~ row[2]) -%}{%- endfor -%}
    {{- return('(' ~ conditions | join(') or (') ~ ')') -}}
{%- endmacro %}

{% macro rebuilt_rows_noted(models) -%}
    {#- What meta.rebuilt_rows holds for the nodes ``models`` (unique ids):
        {unique id: (model, key column, keys)}; a node that noted nothing is absent. -#}
    {%- set found = run_query(
        "select model, key_column, keys from meta.rebuilt_rows where model in ('"
        ~ models | join("', '") ~ "')"
    ) -%}
    {%- set noted = {} -%}
    {%- for row in found.rows -%}{%- do noted.update({row[0]: row}) -%}{%- endfor -%}
    {{- return(noted) -}}
{%- endmacro %}

{% macro values_condition(column, relation, condition) -%}
    {#- SQL: the rows of ``relation`` whose ``column`` has a value of one of the rows meeting
        ``condition``, as a literal list when not too long: DuckDB prunes scans by a list of
        constants, even under a view's joins and groups, but not by a subquery. -#}
    {%- set found = run_query(
        "select distinct case when typeof(" ~ column ~ ") in ('TINYINT', 'SMALLINT', 'INTEGER',
            'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT')
            then cast(" ~ column ~ " as varchar)
            else 'cast(''' || replace(cast(" ~ column ~ " as varchar), '''', '''''') || ''' as '
                || typeof(" ~ column ~ ") || ')' end
        from " ~ relation ~ "
        where (" ~ condition ~ ") and " ~ column ~ " is not null
        order by 1"
    ) -%}
    {%- set values = found.columns[0].values() | list -%}
    {%- if values | length > var('incremental_order_limit', 20000) -%}
        {{- return(column ~ ' in (select ' ~ column ~ ' from ' ~ relation ~ ' where ' ~ condition ~ ')') -}}
    {%- endif -%}
    {{- return(column ~ ' in ' ~ keys_list(values)) -}}
{%- endmacro %}

{% macro get_where_subquery(relation) -%}
    {#- dbt's own (the test's `where` config), and the rows this invocation rebuilt:
        tests follow the change as the models do (rebuilt_rows_condition). A `unique` test
        reads every row sharing a value with those rows: a changed row may repeat the value
        of one that did not change. -#}
    {%- set conditions = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}{%- do conditions.append(where) -%}{%- endif -%}
    {%- set rebuilt = rebuilt_rows_condition() -%}
    {%- if rebuilt -%}
        {%- set test = model.get('test_metadata') or {} -%}
        {%- if test.get('name') == 'unique' -%}
            {%- set rebuilt = values_condition(test.kwargs.column_name, relation, rebuilt) -%}
        {%- endif -%}
        {%- do conditions.append(rebuilt) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where ({{ conditions | join(') and (') }})) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
