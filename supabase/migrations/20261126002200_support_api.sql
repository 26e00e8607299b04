-- What the support function needs from the database: ticket assignment, the
-- agents' triage queue, and an agent withdrawing or revoking their own grant.
--
-- Access model (unchanged from 20261126000750): a ticket's conversation
-- (messages, internal notes) and any change to it other than assignment are
-- reached by platform support only under an approved, unexpired access grant
-- (RLS). Triage is the exception, through the definer functions below: every
-- platform support agent sees the queue's ticket metadata (tenant, subject,
-- status, priority, assignee, times; never a message) so they know which
-- tenant to ask access to, and can assign tickets to platform support staff.
--
-- Tables:    public.support_tickets (+ assigned_to, assigned_at)
-- Triggers:  support_tickets_guard_assignment
-- Functions: private.guard_support_ticket_assignment(),
--            private.support_ticket_queue(uuid, text, uuid, boolean, uuid, timestamptz, uuid, integer),
--            private.assign_support_ticket(uuid, uuid),
--            private.revoke_my_support_grant(uuid)
-- Policies:  none (the policies of 20261126000750 apply to the new columns)
-- Sections:  tables, functions (the trigger follows its function, as in
--            20261126000300); each function is followed by its grants.

-- tables
alter table public.support_tickets
  add column assigned_to uuid references public.platform_staff (user_id) on delete set null,
  add column assigned_at timestamptz,
  add constraint support_tickets_assignment_stamped check ((assigned_to is null) = (assigned_at is null));
comment on column public.support_tickets.assigned_to is
  'Platform support agent working the ticket; set only through private.assign_support_ticket.';
create index support_tickets_assigned_to_idx on public.support_tickets (assigned_to, created_at, id);
create index support_tickets_queue_idx on public.support_tickets (status, created_at, id);

-- functions
-- API callers (authenticated) never write the assignment directly: a new
-- ticket starts unassigned and an update keeps it. The definer function
-- private.assign_support_ticket (running as its owner) is the only way in.
create function private.guard_support_ticket_assignment()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user not in ('authenticated', 'anon') then
    return new;
  end if;
  if tg_op = 'INSERT' then
    new.assigned_to := null;
    new.assigned_at := null;
  elsif new.assigned_to is distinct from old.assigned_to or new.assigned_at is distinct from old.assigned_at then
    raise exception 'a ticket''s assignment changes only through the support API'
      using errcode = '42501', hint = 'Call private.assign_support_ticket as a platform support agent.';
  end if;
  return new;
end;
$$;
revoke execute on function private.guard_support_ticket_assignment() from public;

create trigger support_tickets_guard_assignment before insert or update on public.support_tickets
  for each row execute function private.guard_support_ticket_assignment();

-- The agents' queue: ticket metadata of every tenant, oldest first, keyset
-- paginated on (created_at, id). Platform support only; never a message body.
-- has_active_grant says whether the caller may open the conversation now.
create function private.support_ticket_queue(
  p_ticket_id uuid default null,
  p_status text default null,
  p_assignee uuid default null,
  p_unassigned boolean default false,
  p_tenant_id uuid default null,
  p_after_created_at timestamptz default null,
  p_after_id uuid default null,
  p_limit integer default 50)
returns table (
  id uuid, tenant_id uuid, tenant_name text, subject text, status text, priority text,
  opened_by uuid, assigned_to uuid, assigned_at timestamptz, created_at timestamptz,
  updated_at timestamptz, closed_at timestamptz, has_active_grant boolean)
language plpgsql stable security definer
set search_path = ''
as $$
begin
  if not private.is_platform_support() then
    raise exception 'only platform support agents see the ticket queue'
      using errcode = '42501', hint = 'Sign in as a platform support agent.';
  end if;
  return query
    select t.id, t.tenant_id, tn.name, t.subject, t.status, t.priority, t.opened_by,
           t.assigned_to, t.assigned_at, t.created_at, t.updated_at, t.closed_at,
           t.tenant_id in (select private.support_grant_tenant_ids())
    from public.support_tickets t
    join public.tenants tn on tn.id = t.tenant_id and tn.deleted_at is null
    where (p_ticket_id is null or t.id = p_ticket_id)
      and (p_status is null or t.status = p_status)
      and (p_assignee is null or t.assigned_to = p_assignee)
      and (not coalesce(p_unassigned, false) or t.assigned_to is null)
      and (p_tenant_id is null or t.tenant_id = p_tenant_id)
      and (p_after_created_at is null or (t.created_at, t.id) > (p_after_created_at, p_after_id))
    order by t.created_at, t.id
    limit least(greatest(coalesce(p_limit, 50), 1), 101);
end;
$$;
revoke execute on function private.support_ticket_queue(uuid, text, uuid, boolean, uuid, timestamptz, uuid, integer) from public;
grant execute on function private.support_ticket_queue(uuid, text, uuid, boolean, uuid, timestamptz, uuid, integer) to authenticated, service_role;

-- Assigns a ticket to a platform support agent (or unassigns it with null).
-- Callable by platform support agents only; the assignee must be one too.
create function private.assign_support_ticket(p_ticket_id uuid, p_assignee uuid)
returns table (id uuid, tenant_id uuid, assigned_to uuid, assigned_at timestamptz, previous_assignee uuid)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_previous uuid;
  v_tenant uuid;
begin
  if not private.is_platform_support() then
    raise exception 'only platform support agents assign tickets'
      using errcode = '42501', hint = 'Sign in as a platform support agent.';
  end if;
  select t.assigned_to, t.tenant_id into v_previous, v_tenant
  from public.support_tickets t
  join public.tenants tn on tn.id = t.tenant_id and tn.deleted_at is null
  where t.id = p_ticket_id
  for update of t;
  if not found then
    raise exception 'ticket not found'
      using errcode = 'KZ404', hint = 'Check the ticket id in the queue.';
  end if;
  if p_assignee is not null and not exists (
    select 1 from public.platform_staff ps where ps.user_id = p_assignee and ps.role = 'platform_support'
  ) then
    raise exception 'tickets are assigned to platform support agents only'
      using errcode = 'KZ400', hint = 'Pass the user id of a platform support agent, or null to unassign.';
  end if;
  update public.support_tickets t
  set assigned_to = p_assignee,
      assigned_at = case when p_assignee is null then null else now() end
  where t.id = p_ticket_id;
  return query
    select t.id, t.tenant_id, t.assigned_to, t.assigned_at, v_previous
    from public.support_tickets t where t.id = p_ticket_id;
end;
$$;
revoke execute on function private.assign_support_ticket(uuid, uuid) from public;
grant execute on function private.assign_support_ticket(uuid, uuid) to authenticated, service_role;

-- A platform support agent withdraws their pending request or gives up their
-- approved grant. (Tenant approvers revoke through the table's update policy.)
create function private.revoke_my_support_grant(p_grant_id uuid)
returns table (id uuid, tenant_id uuid, status text, revoked_at timestamptz)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_grant public.support_access_grants;
begin
  select * into v_grant
  from public.support_access_grants g
  where g.id = p_grant_id and g.support_user_id = auth.uid()
  for update;
  if not found then
    raise exception 'access grant not found'
      using errcode = 'KZ404', hint = 'List your grants to find its id.';
  end if;
  if v_grant.revoked_at is not null or v_grant.status = 'denied' then
    raise exception 'the access grant is already revoked or denied'
      using errcode = 'KZ409', hint = 'Nothing to revoke.';
  end if;
  update public.support_access_grants g
  set revoked_at = now(), revoked_by = auth.uid()
  where g.id = p_grant_id;
  return query
    select g.id, g.tenant_id, g.status, g.revoked_at
    from public.support_access_grants g where g.id = p_grant_id;
end;
$$;
revoke execute on function private.revoke_my_support_grant(uuid) from public;
grant execute on function private.revoke_my_support_grant(uuid) to authenticated, service_role;
