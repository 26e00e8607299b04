-- Accepting an invitation: the invitee (not yet a member, so RLS shows them
-- neither the invitation nor the tenant) presents the sha256 of the token they
-- were sent. One security definer function checks it and, in one statement's
-- transaction, marks the invitation used, creates the membership with the
-- offered role and opens the invitee's onboarding case (a draft).
-- Invitations are tied to an email address: the caller's live auth.users
-- email must match (never a JWT claim, never user_metadata).
--
-- Tables:    none
-- Functions: private.accept_invitation(bytea)
-- Policies:  none
--
-- Errors (mapped to HTTP by functions/_shared/errors.ts):
--   KZ401 no signed-in caller; KZ404 unknown token; KZ409 already used, or the
--   caller is already a member; KZ403 sent to another email; P0001 (422)
--   expired or revoked.

-- functions
create function private.accept_invitation(p_token_hash bytea)
returns table (invitation_id uuid, tenant_id uuid, role text, membership_id uuid, case_id uuid)
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_user uuid := auth.uid();
  v_email text;
  v_inv public.invitations%rowtype;
  v_membership uuid;
  v_case uuid;
begin
  if v_user is null then
    raise exception 'accepting an invitation needs a signed-in user'
      using errcode = 'KZ401', hint = 'Sign in (or sign up) first, then accept the invitation.';
  end if;
  if p_token_hash is null or octet_length(p_token_hash) <> 32 then
    raise exception 'invitation not found'
      using errcode = 'KZ404', hint = 'Check the link you were sent.';
  end if;

  -- for update: two concurrent acceptances of one token serialise here
  select i.* into v_inv from public.invitations i where i.token_hash = p_token_hash for update;
  if not found then
    raise exception 'invitation not found'
      using errcode = 'KZ404', hint = 'Check the link you were sent.';
  end if;
  if v_inv.accepted_at is not null then
    raise exception 'this invitation has already been used'
      using errcode = 'KZ409', hint = 'An invitation is single use; ask for a new one if you need it.';
  end if;
  if v_inv.revoked_at is not null then
    raise exception 'this invitation was revoked'
      using errcode = 'P0001', hint = 'Ask the inviter for a new invitation.';
  end if;
  if v_inv.expires_at <= now() then
    raise exception 'this invitation has expired'
      using errcode = 'P0001', hint = 'Ask the inviter for a new invitation.';
  end if;

  select lower(u.email) into v_email from auth.users u where u.id = v_user and u.deleted_at is null;
  if v_email is null or v_email <> v_inv.email then
    raise exception 'this invitation was sent to another email address'
      using errcode = 'KZ403', hint = 'Sign in with the address the invitation was sent to.';
  end if;
  if exists (select 1 from public.tenants t where t.id = v_inv.tenant_id and t.deleted_at is not null) then
    raise exception 'invitation not found'
      using errcode = 'KZ404', hint = 'The organisation no longer exists.';
  end if;
  if exists (select 1 from public.memberships m where m.tenant_id = v_inv.tenant_id and m.user_id = v_user) then
    raise exception 'you are already a member of this organisation'
      using errcode = 'KZ409', hint = 'Sign in to the organisation instead.';
  end if;

  update public.invitations i
     set accepted_at = now(), accepted_by = v_user
   where i.id = v_inv.id;
  insert into public.memberships (tenant_id, user_id, role)
  values (v_inv.tenant_id, v_user, v_inv.role)
  returning id into v_membership;
  insert into public.onboarding_cases (tenant_id, subject_user_id, created_by, status)
  values (v_inv.tenant_id, v_user, v_user, 'draft')
  returning id into v_case;

  return query select v_inv.id, v_inv.tenant_id, v_inv.role, v_membership, v_case;
end;
$$;
revoke execute on function private.accept_invitation(bytea) from public, anon;
grant execute on function private.accept_invitation(bytea) to authenticated;
