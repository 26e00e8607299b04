-- Attaches the audit trigger to every table of the tenancy migrations
-- (20261126000200-000899), and the two ways to read the audit trail:
-- tenant admins read their tenant's events; an employee reads who accessed
-- their own protected data (their right under Kenya's Data Protection Act).
--
-- Triggers:  <table>_audit on public.tenants, roles, permissions, role_permissions,
--            platform_staff, memberships, profiles, support_access_grants,
--            employees, invitations, onboarding_cases,
--            onboarding_case_status_history, support_tickets, support_ticket_messages
-- Functions: private.list_audit_events(...), public.list_audit_events(...),
--            private.my_pii_access_log(bigint, integer), public.my_pii_access_log(bigint, integer)
-- Policies:  none (the reading functions check permissions explicitly:
--            private.has_permission(tenant_id, 'audit.read'); employees.user_id = auth.uid())
--
-- Security events the employee log shows: resource_type 'employee',
-- resource_id = the employee id, and an action naming PII or an export
-- (pii.*, *.pii_*, *export*), e.g. employee.pii_revealed.

-- types
create type public.audit_event as (
  id bigint,
  occurred_at timestamptz,
  tenant_id uuid,
  actor_id uuid,
  actor_role text,
  action text,
  resource_type text,
  resource_id text,
  ip_address inet,
  user_agent text,
  request_id text,
  outcome text,
  changed_columns text[],
  old_values jsonb,
  new_values jsonb,
  details jsonb
);

create type public.pii_access as (
  id bigint,
  occurred_at timestamptz,
  employee_id uuid,
  actor_id uuid,
  actor_name text,
  actor_role text,
  action text,
  outcome text,
  details jsonb
);

-- triggers
select audit.track('public.tenants');
select audit.track('public.roles');
select audit.track('public.permissions');
select audit.track('public.role_permissions');
select audit.track('public.platform_staff');
select audit.track('public.memberships');
select audit.track('public.profiles');
select audit.track('public.support_access_grants');
select audit.track('public.employees');
select audit.track('public.invitations');
select audit.track('public.onboarding_cases');
select audit.track('public.onboarding_case_status_history');
select audit.track('public.support_tickets');
select audit.track('public.support_ticket_messages');

-- functions
-- A tenant's events, newest first, for callers holding 'audit.read' in it.
-- Keyset pagination: pass the last id of a page as before_id for the next one.
create function private.list_audit_events(
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
           e.resource_id, e.ip_address, e.user_agent, e.request_id, e.outcome, e.changed_columns,
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
revoke execute on function private.list_audit_events(uuid, text, text, text, uuid, text, timestamptz, timestamptz, bigint, integer) from public, anon, service_role;
grant execute on function private.list_audit_events(uuid, text, text, text, uuid, text, timestamptz, timestamptz, bigint, integer) to authenticated;

-- PostgREST: POST /rest/v1/rpc/list_audit_events {"tenant_id": "...", "page_size": 50, ...}
create function public.list_audit_events(
  tenant_id uuid,
  action text default null,
  resource_type text default null,
  resource_id text default null,
  actor_id uuid default null,
  outcome text default null,
  occurred_from timestamptz default null,
  occurred_to timestamptz default null,
  before_id bigint default null,
  page_size integer default 50)
returns setof public.audit_event
language sql
stable
set search_path = ''
as $$
  select * from private.list_audit_events(tenant_id, action, resource_type, resource_id, actor_id,
                                          outcome, occurred_from, occurred_to, before_id, page_size)
$$;
revoke execute on function public.list_audit_events(uuid, text, text, text, uuid, text, timestamptz, timestamptz, bigint, integer) from public, anon, service_role;
grant execute on function public.list_audit_events(uuid, text, text, text, uuid, text, timestamptz, timestamptz, bigint, integer) to authenticated;

-- Who accessed the caller's own protected data, and when, newest first.
create function private.my_pii_access_log(before_id bigint, page_size integer)
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
revoke execute on function private.my_pii_access_log(bigint, integer) from public, anon, service_role;
grant execute on function private.my_pii_access_log(bigint, integer) to authenticated;

-- PostgREST: POST /rest/v1/rpc/my_pii_access_log {"page_size": 50}
create function public.my_pii_access_log(before_id bigint default null, page_size integer default 50)
returns setof public.pii_access
language sql
stable
set search_path = ''
as $$
  select * from private.my_pii_access_log(before_id, page_size)
$$;
revoke execute on function public.my_pii_access_log(bigint, integer) from public, anon, service_role;
grant execute on function public.my_pii_access_log(bigint, integer) to authenticated;
