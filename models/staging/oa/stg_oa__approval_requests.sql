with

source as (

    select
        id,
        created_at,
        updated_at,
        request_no,
        kind,
        requester_id,
        approver_id,
        subject,
        amount,
        reference_type,
        reference_id,
        status,
        submitted_at,
        decided_at,
        decision_note
    from {{ source('operational', 'approval_request') }}

),

renamed as (

    select
        id as approval_request_id,
        request_no,
        kind as approval_kind,
        requester_id as requester_employee_id,
        approver_id as approver_employee_id,
        subject,
        amount,
        reference_type,
        reference_id,
        status as approval_status,
        submitted_at,
        decided_at,
        decision_note,
        {{ to_local_date('submitted_at') }} as submitted_date,
        {{ to_local_date('decided_at') }} as decided_date,
        created_at,
        updated_at
    from source

)

select * from renamed
