-- Support tickets and their messages. Tenant users holding support.use open
-- and follow their tenant's tickets; platform support staff see them only
-- under an active access grant. Internal notes (is_internal) are visible to
-- platform support staff only, never to tenant users. Messages are
-- append-only.
--
-- Tables:    public.support_tickets, public.support_ticket_messages
-- Triggers:  support_tickets_touch_updated_at, support_ticket_messages_touch_updated_at,
--            support_tickets_stamp_opener, support_ticket_messages_stamp_author
-- Functions: private.stamp_support_ticket_opener(), private.stamp_support_message_author()
-- Policies:  see "policies"

-- tables
create table public.support_tickets (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  opened_by uuid references auth.users (id) on delete set null,
  subject text not null check (length(btrim(subject)) between 1 and 200),
  status text not null default 'open' check (status in ('open', 'pending', 'resolved', 'closed')),
  priority text not null default 'normal' check (priority in ('low', 'normal', 'high', 'urgent')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  closed_at timestamptz,
  unique (tenant_id, id)
);
create index support_tickets_opened_by_idx on public.support_tickets (opened_by);
create index support_tickets_tenant_status_idx on public.support_tickets (tenant_id, status);

create table public.support_ticket_messages (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  ticket_id uuid not null,
  author_id uuid references auth.users (id) on delete set null,
  body text not null check (length(btrim(body)) between 1 and 10000),
  is_internal boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, ticket_id) references public.support_tickets (tenant_id, id) on delete cascade
);
create index support_ticket_messages_ticket_idx
  on public.support_ticket_messages (tenant_id, ticket_id, is_internal, created_at);
create index support_ticket_messages_author_idx on public.support_ticket_messages (author_id);

-- triggers
create trigger support_tickets_touch_updated_at before update on public.support_tickets
  for each row execute function private.touch_updated_at();
create trigger support_ticket_messages_touch_updated_at before update on public.support_ticket_messages
  for each row execute function private.touch_updated_at();

-- functions
create function private.stamp_support_ticket_opener()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user in ('authenticated', 'anon') then
    if tg_op = 'INSERT' then
      new.opened_by := auth.uid();
    elsif new.opened_by is distinct from old.opened_by or new.tenant_id <> old.tenant_id then
      raise exception 'a ticket''s tenant and opener are fixed'
        using errcode = '42501', hint = 'Open a new ticket instead.';
    end if;
  end if;
  if new.status = 'closed' and new.closed_at is null then
    new.closed_at := now();
  elsif new.status <> 'closed' then
    new.closed_at := null;
  end if;
  return new;
end;
$$;
revoke execute on function private.stamp_support_ticket_opener() from public;

create trigger support_tickets_stamp_opener before insert or update on public.support_tickets
  for each row execute function private.stamp_support_ticket_opener();

create function private.stamp_support_message_author()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user in ('authenticated', 'anon') then
    new.author_id := auth.uid();
  end if;
  return new;
end;
$$;
revoke execute on function private.stamp_support_message_author() from public;

create trigger support_ticket_messages_stamp_author before insert on public.support_ticket_messages
  for each row execute function private.stamp_support_message_author();

-- grants
revoke all on public.support_tickets, public.support_ticket_messages from anon, authenticated;
grant select, insert, update on public.support_tickets to authenticated;
grant select, insert on public.support_ticket_messages to authenticated;
grant all on public.support_tickets, public.support_ticket_messages to service_role;

alter table public.support_tickets enable row level security;
alter table public.support_ticket_messages enable row level security;

-- policies
create policy "tenant support users and granted staff can read tickets"
  on public.support_tickets for select to authenticated
  using (
    tenant_id = any(array(select private.readable_tenant_ids('support.use')))
  );
create policy "support users of the tenant can open tickets"
  on public.support_tickets for insert to authenticated
  with check (tenant_id = any(array(select private.tenants_where_i_can('support.use'))));
create policy "tenant support users and granted staff can update tickets"
  on public.support_tickets for update to authenticated
  using (
    tenant_id = any(array(select private.readable_tenant_ids('support.use')))
  )
  with check (
    tenant_id = any(array(select private.readable_tenant_ids('support.use')))
  );

create policy "tenant users read public messages, granted staff read all"
  on public.support_ticket_messages for select to authenticated
  using (
    (is_internal = false and tenant_id = any(array(select private.tenants_where_i_can('support.use'))))
    or tenant_id = any(array(select private.support_grant_tenant_ids()))
  );
create policy "tenant users post public messages, granted staff post any"
  on public.support_ticket_messages for insert to authenticated
  with check (
    (is_internal = false and tenant_id = any(array(select private.tenants_where_i_can('support.use'))))
    or tenant_id = any(array(select private.support_grant_tenant_ids()))
  );
