-- audit.events checks its action and outcome through domains instead of
-- CHECK constraints. Postgres re-reads a table's CHECK expressions from their
-- stored text, and plans them, for every statement that writes the table; a
-- domain's check is read once per session (the type cache). Every audited
-- API write runs one insert into audit.events from its trigger, and the two
-- CHECKs were about 9% of that trigger's instructions (67,000 of about
-- 713,000 per one-row statement under callgrind; a domain's check costs about
-- 10,000). The same values are allowed and refused (check_violation), on
-- every partition, now and to come. Readers returning text columns
-- (RETURN QUERY needs the declared type) cast them.
--
-- Types:     audit.event_action, audit.event_outcome (new domains over text)
-- Tables:    audit.events: action, outcome change type; events_action_check
--            and events_outcome_check dropped (the domains hold them)
-- Functions: private.list_audit_events(...), private.my_pii_access_log(bigint, integer) (new bodies)

-- types
create domain audit.event_action as text
  constraint event_action_check check (value <> '' and length(value) <= 200);
comment on domain audit.event_action is 'What an audit event records: non-empty, at most 200 characters.';
create domain audit.event_outcome as text
  constraint event_outcome_check check (value in ('success', 'denied', 'error'));
comment on domain audit.event_outcome is 'How an audited action ended: success, denied or error.';

-- tables
alter table audit.events
  drop constraint events_action_check,
  drop constraint events_outcome_check;
alter table audit.events
  alter column action type audit.event_action,
  alter column outcome type audit.event_outcome;

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
    select e.id, e.occurred_at, e.tenant_id, e.actor_id, e.actor_role, e.action::text, e.resource_type,
           e.resource_id, e.ip_address, e.user_agent, e.request_id, e.outcome::text, audit.event_changed_columns(e),
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
    select e.id, e.occurred_at, emp.id, e.actor_id, p.display_name, e.actor_role, e.action::text, e.outcome::text, e.details
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
