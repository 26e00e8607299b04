-- Reverts 20261127001200_audit_checks_as_domains.sql: action and outcome are
-- text again with their CHECK constraints; the readers return them uncast (as
-- 20261127001100 and 20261126000900 defined them).

-- functions
-- A tenant's events, newest first, for callers holding 'audit.read' in it.
-- Keyset pagination: pass the last id of a page as before_id for the next one.
-- An insert or delete lists every column of its image as changed.
create or replace function private.list_audit_events(
  tenant_id uuid, action text, resource_type text, resource_id text, actor_id uuid,
  outcome text, occurred_from timestamptz, occurred_to timestamptz,
  before_id bigint, page_size integer)
returns setof public.audit_event
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if list_audit_events.tenant_id is null
     or not private.has_permission(list_audit_events.tenant_id, 'audit.read') then
    raise exception 'not allowed to read this tenant''s audit trail'
      using errcode = 'insufficient_privilege', hint = 'Requires the audit.read permission in the tenant.';
  end if;
  if list_audit_events.page_size is null or list_audit_events.page_size not between 1 and 500 then
    raise exception 'page_size must be between 1 and 500'
      using errcode = 'invalid_parameter_value', hint = 'The default is 50.';
  end if;
  return query
    select e.id, e.occurred_at, e.tenant_id, e.actor_id, e.actor_role, e.action, e.resource_type,
           e.resource_id, e.ip_address, e.user_agent, e.request_id, e.outcome, audit.event_changed_columns(e),
           e.old_values, e.new_values, e.details
      from audit.events as e
     where e.tenant_id = list_audit_events.tenant_id
       and (list_audit_events.action is null or e.action = list_audit_events.action)
       and (list_audit_events.resource_type is null or e.resource_type = list_audit_events.resource_type)
       and (list_audit_events.resource_id is null or e.resource_id = list_audit_events.resource_id)
       and (list_audit_events.actor_id is null or e.actor_id = list_audit_events.actor_id)
       and (list_audit_events.outcome is null or e.outcome = list_audit_events.outcome)
       and (list_audit_events.occurred_from is null or e.occurred_at >= list_audit_events.occurred_from)
       and (list_audit_events.occurred_to is null or e.occurred_at < list_audit_events.occurred_to)
       and (list_audit_events.before_id is null or e.id < list_audit_events.before_id)
     order by e.id desc
     limit list_audit_events.page_size;
end;
$$;

-- Who accessed the caller's own protected data, and when, newest first.
create or replace function private.my_pii_access_log(before_id bigint, page_size integer)
returns setof public.pii_access
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if my_pii_access_log.page_size is null or my_pii_access_log.page_size not between 1 and 500 then
    raise exception 'page_size must be between 1 and 500'
      using errcode = 'invalid_parameter_value', hint = 'The default is 50.';
  end if;
  return query
    select e.id, e.occurred_at, emp.id, e.actor_id, p.display_name, e.actor_role, e.action, e.outcome, e.details
      from public.employees as emp
      join audit.events as e
        on e.resource_type = 'employee' and e.resource_id = emp.id::text and e.tenant_id = emp.tenant_id
      left join public.profiles as p on p.id = e.actor_id
     where emp.user_id = auth.uid()
       and (e.action like 'pii.%' or e.action like '%.pii\_%' or e.action like '%export%')
       and (my_pii_access_log.before_id is null or e.id < my_pii_access_log.before_id)
     order by e.id desc
     limit my_pii_access_log.page_size;
end;
$$;

-- tables
alter table audit.events
  alter column action type text,
  alter column outcome type text;
alter table audit.events
  add constraint events_action_check check (action <> '' and length(action) <= 200),
  add constraint events_outcome_check check (outcome in ('success', 'denied', 'error'));

-- types
drop domain audit.event_action;
drop domain audit.event_outcome;
