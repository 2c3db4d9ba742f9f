with

tasks as (

    select * from {{ ref('stg_oa__tasks') }}

),

employees as (

    select employee_id from {{ ref('dim_employees') }}

),

final as (

    select
        tasks.task_id,
        tasks.title,
        coalesce(employees.employee_id, -1) as assignee_employee_id,
        tasks.task_status,
        tasks.task_source,
        tasks.rule_key,
        tasks.reason,
        tasks.reference_type,
        tasks.reference_id,
        tasks.due_date,
        tasks.created_at,
        tasks.created_date,
        tasks.closed_at,
        tasks.task_status in ('open', 'in_progress') as is_open,
        (
            tasks.task_status in ('open', 'in_progress')
            and tasks.due_date < {{ as_of_date() }}
        ) as is_overdue
    from tasks
    left join employees
        on tasks.assignee_employee_id = employees.employee_id

)

select * from final
