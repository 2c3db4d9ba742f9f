with

approvals as (

    select * from {{ ref('stg_oa__approval_requests') }}

),

employees as (

    select employee_id from {{ ref('dim_employees') }}

),

final as (

    select
        approvals.approval_request_id,
        approvals.request_no,
        approvals.approval_kind,
        approvals.approval_status,
        coalesce(requesters.employee_id, -1) as requester_employee_id,
        coalesce(approvers.employee_id, -1) as approver_employee_id,
        approvals.amount,
        approvals.reference_type,
        approvals.reference_id,
        approvals.created_at,
        approvals.submitted_at,
        approvals.submitted_date,
        approvals.decided_at,
        approvals.decided_date,
        approvals.approval_status = 'submitted' as is_pending,
        case
            when approvals.decided_at is not null and approvals.submitted_at is not null
                then {{ dbt.datediff('approvals.submitted_at', 'approvals.decided_at', 'minute') }} / 60.0
        end as cycle_hours
    from approvals
    left join employees as requesters
        on approvals.requester_employee_id = requesters.employee_id
    left join employees as approvers
        on approvals.approver_employee_id = approvers.employee_id

)

select * from final
