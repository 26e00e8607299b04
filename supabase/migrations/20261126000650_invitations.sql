-- Invitations: a member invites an email address to a tenant with a role no
-- higher than their own. Only the SHA-256 of the token is stored; the token
-- itself is shown once by the function that creates it. Single use, expiring,
-- revocable.
--
-- Tables:    public.invitations
-- Triggers:  invitations_touch_updated_at, invitations_enforce_role_rules
-- Functions: private.enforce_invitation_rules(), private.accept_invitation(text)
-- Policies:  "inviters can read their tenant's invitations",
--            "inviters can invite up to their own role",
--            "inviters can revoke their tenant's invitations"

-- tables
create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  email text not null check (email = lower(btrim(email)) and email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  role text not null,
  role_scope text not null default 'tenant' check (role_scope = 'tenant'),
  token_hash bytea not null unique check (octet_length(token_hash) = 32),
  invited_by uuid references auth.users (id) on delete set null,
  expires_at timestamptz not null,
  accepted_at timestamptz,
  accepted_by uuid references auth.users (id) on delete set null,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id),
  foreign key (role, role_scope) references public.roles (name, scope),
  check (expires_at > created_at),
  check ((accepted_at is null) = (accepted_by is null))
);
comment on column public.invitations.token_hash is 'sha256(token); the token itself is never stored.';
create index invitations_tenant_email_idx on public.invitations (tenant_id, email);
create index invitations_role_idx on public.invitations (role, role_scope);
create index invitations_invited_by_idx on public.invitations (invited_by);
create index invitations_accepted_by_idx on public.invitations (accepted_by);

-- triggers
create trigger invitations_touch_updated_at before update on public.invitations
  for each row execute function private.touch_updated_at();

-- functions
-- API callers invite at most their own rank, are stamped as the inviter, may
-- only revoke (not re-target or re-open) an invitation, and cannot accept
-- through UPDATE (acceptance is an admin path that creates the membership).
create function private.enforce_invitation_rules()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user not in ('authenticated', 'anon') then
    return new;
  end if;
  if tg_op = 'INSERT' then
    if private.role_rank(new.role) > private.my_rank_in(new.tenant_id) then
      raise exception 'you cannot invite someone to a role above your own'
        using errcode = '42501', hint = 'Ask a member with a higher role to send the invitation.';
    end if;
    new.invited_by := auth.uid();
    new.accepted_at := null;
    new.accepted_by := null;
    new.revoked_at := null;
    if new.expires_at > now() + interval '30 days' then
      raise exception 'an invitation expires within 30 days'
        using errcode = 'P0001', hint = 'Choose an expires_at at most 30 days ahead.';
    end if;
    return new;
  end if;
  if (new.tenant_id, new.email, new.role, new.token_hash, new.invited_by, new.expires_at, new.created_at)
     is distinct from (old.tenant_id, old.email, old.role, old.token_hash, old.invited_by, old.expires_at, old.created_at)
     or new.accepted_at is distinct from old.accepted_at or new.accepted_by is distinct from old.accepted_by then
    raise exception 'an invitation can only be revoked'
      using errcode = '42501', hint = 'Revoke it and send a new invitation.';
  end if;
  if old.revoked_at is not null and new.revoked_at is distinct from old.revoked_at then
    raise exception 'a revoked invitation stays revoked'
      using errcode = 'P0001', hint = 'Send a new invitation.';
  end if;
  return new;
end;
$$;
revoke execute on function private.enforce_invitation_rules() from public;

create trigger invitations_enforce_role_rules before insert or update on public.invitations
  for each row execute function private.enforce_invitation_rules();

-- Accepts an invitation for the signed-in user: the token must hash to an
-- open (unaccepted, unrevoked, unexpired) invitation addressed to the
-- caller's own email. Creates the membership with the offered role (whose
-- rank was checked when the invitation was made) and marks the invitation
-- used, once. Every failure is the same error, so a guessed token learns
-- nothing. Returns the tenant id.
create function private.accept_invitation(p_token text)
returns uuid
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_invitation public.invitations;
  v_email text;
begin
  select lower(u.email) into v_email from auth.users u where u.id = auth.uid();
  select i.* into v_invitation
  from public.invitations i
  where i.token_hash = pg_catalog.sha256(pg_catalog.convert_to(coalesce(p_token, ''), 'UTF8'))
  for update;
  if v_email is null or v_invitation.id is null or v_invitation.email <> v_email
     or v_invitation.accepted_at is not null or v_invitation.revoked_at is not null
     or v_invitation.expires_at <= now() then
    raise exception 'the invitation is invalid, expired or already used'
      using errcode = 'P0001', hint = 'Ask for a new invitation.';
  end if;
  if exists (select 1 from public.memberships m
             where m.tenant_id = v_invitation.tenant_id and m.user_id = auth.uid()) then
    raise exception 'you are already a member of this tenant'
      using errcode = 'P0001', hint = 'Ask a member manager to change your role instead.';
  end if;
  insert into public.memberships (tenant_id, user_id, role)
  values (v_invitation.tenant_id, auth.uid(), v_invitation.role);
  update public.invitations set accepted_at = now(), accepted_by = auth.uid() where id = v_invitation.id;
  return v_invitation.tenant_id;
end;
$$;
revoke execute on function private.accept_invitation(text) from public;
grant execute on function private.accept_invitation(text) to authenticated;

-- grants
revoke all on public.invitations from anon, authenticated;
grant select, insert, update on public.invitations to authenticated;
grant all on public.invitations to service_role;

alter table public.invitations enable row level security;

-- policies
create policy "inviters can read their tenant's invitations"
  on public.invitations for select to authenticated
  using (tenant_id = any(array(select private.tenants_where_i_can('invitations.manage'))));
create policy "inviters can invite up to their own role"
  on public.invitations for insert to authenticated
  with check (tenant_id = any(array(select private.tenants_where_i_can('invitations.manage'))));
create policy "inviters can revoke their tenant's invitations"
  on public.invitations for update to authenticated
  using (tenant_id = any(array(select private.tenants_where_i_can('invitations.manage'))))
  with check (tenant_id = any(array(select private.tenants_where_i_can('invitations.manage'))));
