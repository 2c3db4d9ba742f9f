with

source as (

    select
        id,
        created_at,
        updated_at,
        title,
        assignee_id,
        due_date,
        reference_type,
        reference_id,
        status,
        source,
        rule_key,
        reason,
        closed_at,
        close_note
    from {{ source('operational', 'task') }}

),

renamed as (

    select
        id as task_id,
        title,
        assignee_id as assignee_employee_id,
        due_date,
        reference_type,
        reference_id,
        status as task_status,
        source as task_source,
        rule_key,
        reason,
        closed_at,
        close_note,
        {{ to_local_date('created_at') }} as created_date,
        created_at,
        updated_at
    from source

)

select * from renamed
