-- Policies for the tenancy/RBAC tables, the membership role-change rules and
-- the profile-per-auth-user trigger.
--
-- Tables:    (policies only) public.tenants, public.roles, public.permissions,
--            public.role_permissions, public.platform_staff, public.memberships,
--            public.profiles, public.support_access_grants
-- Triggers:  memberships_enforce_role_rules, auth.users on_auth_user_created_create_profile
-- Functions: private.count_other_owners(uuid, uuid), private.enforce_membership_rules(),
--            private.create_profile_for_new_user()
-- Policies:  see "policies" below; one per table and operation, named as sentences

-- functions
-- Locks the tenant row (serialising concurrent owner changes) and counts the
-- owners other than p_except. Null when the tenant itself is being deleted.
create function private.count_other_owners(p_tenant_id uuid, p_except uuid)
returns integer
language plpgsql volatile security definer
set search_path = ''
as $$
begin
  perform 1 from public.tenants t where t.id = p_tenant_id for update;
  if not found then
    return null;
  end if;
  return (select count(*)::integer from public.memberships m
          where m.tenant_id = p_tenant_id and m.role = 'owner' and m.id <> p_except);
end;
$$;
revoke execute on function private.count_other_owners(uuid, uuid) from public;
grant execute on function private.count_other_owners(uuid, uuid) to authenticated, service_role;

-- Role-change rules. Security invoker on purpose: current_user tells an API
-- caller (authenticated) from a trusted admin path (service_role, postgres).
--  * a platform role can never be a tenant membership role (everyone);
--  * a membership's tenant and user are fixed (everyone);
--  * API callers never grant, change or remove a role above their own;
--    a platform admin, who has no tenant role, may only bootstrap the first
--    owner of a tenant that has none (never join a working tenant);
--  * the last owner of a tenant cannot be removed or demoted (everyone).
create function private.enforce_membership_rules()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_my_rank integer;
  v_others integer;
begin
  if tg_op in ('INSERT', 'UPDATE') and private.role_rank(new.role) is null then
    raise exception 'role % cannot be granted through a tenant membership', new.role
      using errcode = '42501', hint = 'Platform roles are granted in platform_staff; tenant roles are owner, admin, hr_manager, employee.';
  end if;
  if tg_op = 'UPDATE' and (new.tenant_id <> old.tenant_id or new.user_id <> old.user_id) then
    raise exception 'a membership''s tenant and user cannot change'
      using errcode = '42501', hint = 'Remove the membership and add a new one.';
  end if;

  if current_user in ('authenticated', 'anon') then
    v_my_rank := private.my_rank_in(coalesce(new.tenant_id, old.tenant_id));
    if tg_op = 'INSERT' then
      if private.role_rank(new.role) > v_my_rank then
        if not private.has_platform_permission('platform.members.bootstrap') then
          raise exception 'you cannot grant a role above your own'
            using errcode = '42501', hint = 'Ask a member with a higher role to grant it.';
        elsif new.role <> 'owner' or private.count_other_owners(new.tenant_id, new.id) <> 0 then
          raise exception 'a platform admin can only add the first owner of a tenant'
            using errcode = '42501', hint = 'The tenant''s owners and admins manage its members.';
        end if;
      end if;
    elsif tg_op = 'UPDATE' and new.role <> old.role then
      if private.role_rank(new.role) > v_my_rank then
        raise exception 'you cannot grant a role above your own'
          using errcode = '42501', hint = 'Ask a member with a higher role to grant it.';
      end if;
      if private.role_rank(old.role) > v_my_rank then
        raise exception 'you cannot change the role of a member above you'
          using errcode = '42501', hint = 'Ask a member with a higher role.';
      end if;
    elsif tg_op = 'DELETE' and old.user_id is distinct from auth.uid()
          and private.role_rank(old.role) > v_my_rank then
      raise exception 'you cannot remove a member above your own role'
        using errcode = '42501', hint = 'Ask a member with a higher role.';
    end if;
  end if;

  if old.role = 'owner' and (tg_op = 'DELETE' or new.role <> 'owner') then
    v_others := private.count_other_owners(old.tenant_id, old.id);
    if v_others = 0 then
      raise exception 'a tenant must keep at least one owner'
        using errcode = 'P0001', hint = 'Make another member owner first.';
    end if;
  end if;
  return coalesce(new, old);
end;
$$;
revoke execute on function private.enforce_membership_rules() from public;

create trigger memberships_enforce_role_rules before insert or update or delete on public.memberships
  for each row execute function private.enforce_membership_rules();

-- One profile per auth user.
create function private.create_profile_for_new_user()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into public.profiles (id, display_name)
  values (new.id, coalesce(left(new.raw_user_meta_data ->> 'full_name', 200), ''))
  on conflict (id) do nothing;
  return new;
end;
$$;
revoke execute on function private.create_profile_for_new_user() from public;

create trigger on_auth_user_created_create_profile after insert on auth.users
  for each row execute function private.create_profile_for_new_user();

-- policies
create policy "members, platform admins and granted support can read tenants"
  on public.tenants for select to authenticated
  using (
    id = any(array(select private.readable_tenant_ids('tenant.read')))
    or (select private.is_platform_admin())
  );
create policy "platform admins can create tenants"
  on public.tenants for insert to authenticated
  with check ((select private.has_platform_permission('platform.tenants.manage')));
create policy "owners, admins and platform admins can update tenants"
  on public.tenants for update to authenticated
  using (
    id = any(array(select private.tenants_where_i_can('tenant.update')))
    or (select private.has_platform_permission('platform.tenants.manage'))
  )
  with check (
    id = any(array(select private.tenants_where_i_can('tenant.update')))
    or (select private.has_platform_permission('platform.tenants.manage'))
  );

create policy "signed-in users can read the role catalogue"
  on public.roles for select to authenticated using (true);
create policy "signed-in users can read the permission catalogue"
  on public.permissions for select to authenticated using (true);
create policy "signed-in users can read which role has which permission"
  on public.role_permissions for select to authenticated using (true);

create policy "staff read their own row and platform admins read all staff"
  on public.platform_staff for select to authenticated
  using (user_id = (select auth.uid()) or (select private.has_platform_permission('platform.staff.manage')));
create policy "platform admins can add staff"
  on public.platform_staff for insert to authenticated
  with check ((select private.has_platform_permission('platform.staff.manage')));
create policy "platform admins can change staff"
  on public.platform_staff for update to authenticated
  using ((select private.has_platform_permission('platform.staff.manage')))
  with check ((select private.has_platform_permission('platform.staff.manage')));
create policy "platform admins can remove staff"
  on public.platform_staff for delete to authenticated
  using ((select private.has_platform_permission('platform.staff.manage')));

create policy "members read own membership and managers their tenant's"
  on public.memberships for select to authenticated
  using (
    user_id = (select auth.uid())
    or tenant_id = any(array(select private.readable_tenant_ids('members.read')))
    or (select private.is_platform_admin())
  );
create policy "member managers and platform admins can add members"
  on public.memberships for insert to authenticated
  with check (
    tenant_id = any(array(select private.tenants_where_i_can('members.manage')))
    or (select private.has_platform_permission('platform.members.bootstrap'))
  );
create policy "member managers can change their tenant's members"
  on public.memberships for update to authenticated
  using (tenant_id = any(array(select private.tenants_where_i_can('members.manage'))))
  with check (tenant_id = any(array(select private.tenants_where_i_can('members.manage'))));
create policy "member managers can remove members and members can leave"
  on public.memberships for delete to authenticated
  using (
    user_id = (select auth.uid())
    or tenant_id = any(array(select private.tenants_where_i_can('members.manage')))
  );

create policy "users read their own profile and platform admins read all"
  on public.profiles for select to authenticated
  using (id = (select auth.uid()) or (select private.is_platform_admin()));
create policy "users can update their own profile"
  on public.profiles for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

create policy "grantees, approvers and platform admins can read grants"
  on public.support_access_grants for select to authenticated
  using (
    support_user_id = (select auth.uid())
    or tenant_id = any(array(select private.tenants_where_i_can('support_access.approve')))
    or (select private.is_platform_admin())
  );
create policy "platform support can request access for themselves"
  on public.support_access_grants for insert to authenticated
  with check (
    support_user_id = (select auth.uid())
    and (select private.has_platform_permission('platform.support_access.request'))
  );
create policy "tenant approvers can decide and revoke support access"
  on public.support_access_grants for update to authenticated
  using (tenant_id = any(array(select private.tenants_where_i_can('support_access.approve'))))
  with check (tenant_id = any(array(select private.tenants_where_i_can('support_access.approve'))));
