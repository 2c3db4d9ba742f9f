with

stage_changes as (

    select * from {{ ref('stg_crm__opportunity_stage_changes') }}

),

opportunities as (

    select
        opportunity_id,
        created_at
    from {{ ref('stg_crm__opportunities') }}

),

sequenced as (

    select
        stage_changes.*,
        opportunities.created_at as opportunity_created_at,
        row_number() over (
            partition by stage_changes.opportunity_id
            order by stage_changes.changed_at, stage_changes.opportunity_stage_change_id
        ) as change_number,
        lag(stage_changes.changed_at) over (
            partition by stage_changes.opportunity_id
            order by stage_changes.changed_at, stage_changes.opportunity_stage_change_id
        ) as previous_changed_at
    from stage_changes
    left join opportunities
        on stage_changes.opportunity_id = opportunities.opportunity_id

),

final as (

    select
        opportunity_stage_change_id,
        opportunity_id,
        change_number,
        from_stage,
        to_stage,
        changed_at,
        changed_date,
        -- time spent in from_stage (since the previous change, else since creation)
        {{ dbt.datediff('coalesce(previous_changed_at, opportunity_created_at)', 'changed_at', 'minute') }} / 60.0 as hours_in_from_stage
    from sequenced

)

select * from final
