{#- Who acts for a department when a finding has no personal owner (or that person has left).
    var action_owner_codes maps department -> employee code, e.g. {purchasing: 'E004'};
    otherwise the department's longest-serving active employee (lowest id) stands in, and a
    department with nobody falls back to management's owner. -#}
{%- set txt = dbt.type_string() -%}
{%- set departments = [
    'sales', 'purchasing', 'warehouse', 'finance', 'service', 'admin', 'management',
] -%}
{%- set configured = var('action_owner_codes', {}) -%}

with

employees as (

    select * from {{ ref('dim_employees') }}
    where
        employee_id <> -1
        and is_active

),

departments as (

    {% for department in departments %}
        select '{{ department }}' as department
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

configured_codes as (

    {% for department, code in configured.items() %}
    select '{{ department }}' as department, '{{ code }}' as employee_code
    union all
    {% endfor %}
    select
        cast(null as {{ txt }}) as department,
        cast(null as {{ txt }}) as employee_code
    where 1 = 0

),

configured_owners as (

    select
        configured_codes.department,
        employees.employee_id
    from configured_codes
    inner join employees
        on configured_codes.employee_code = employees.employee_code

),

first_in_department as (

    select
        department,
        min(employee_id) as employee_id
    from employees
    group by department

),

management as (

    select coalesce(
        (
            select employee_id from configured_owners
            where department = 'management'
        ),
        (
            select employee_id from first_in_department
            where department = 'management'
        )
    ) as employee_id

),

final as (

    select
        departments.department,
        coalesce(
            configured_owners.employee_id,
            first_in_department.employee_id,
            management.employee_id,
            -1
        ) as employee_id
    from departments
    cross join management
    left join configured_owners
        on departments.department = configured_owners.department
    left join first_in_department
        on departments.department = first_in_department.department

)

select * from final
