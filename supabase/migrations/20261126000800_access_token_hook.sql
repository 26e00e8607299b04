-- Supabase Auth custom access token hook: adds the user's live tenant
-- memberships and platform role to app_metadata in the JWT. These claims are
-- hints for the frontends only; every authorization decision in the database
-- reads live rows (private.* helpers), never these claims.
--
-- Tables:    (policies only) public.memberships, public.tenants, public.platform_staff
-- Functions: public.custom_access_token_hook(jsonb)
-- Policies:  "the auth server can read memberships for token claims",
--            "the auth server can read tenants for token claims",
--            "the auth server can read platform staff for token claims"

-- functions
-- Security invoker: runs as supabase_auth_admin, which gets SELECT and a
-- read policy on exactly the three tables it needs.
create function public.custom_access_token_hook(event jsonb)
returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  v_user_id uuid := (event ->> 'user_id')::uuid;
  v_claims jsonb := coalesce(event -> 'claims', '{}'::jsonb);
  v_tenants jsonb;
  v_platform_role text;
begin
  select coalesce(jsonb_agg(jsonb_build_object('tenant_id', m.tenant_id, 'role', m.role) order by m.tenant_id), '[]'::jsonb)
    into v_tenants
  from public.memberships m
  join public.tenants t on t.id = m.tenant_id and t.deleted_at is null
  where m.user_id = v_user_id;

  select ps.role into v_platform_role from public.platform_staff ps where ps.user_id = v_user_id;

  v_claims := jsonb_set(
    v_claims, '{app_metadata}',
    coalesce(v_claims -> 'app_metadata', '{}'::jsonb)
      || jsonb_build_object('tenants', v_tenants, 'platform_role', v_platform_role)
  );
  return jsonb_build_object('claims', v_claims);
end;
$$;
revoke execute on function public.custom_access_token_hook(jsonb) from public, anon, authenticated, service_role;
grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;

-- grants
grant usage on schema public to supabase_auth_admin;
grant select on public.memberships, public.tenants, public.platform_staff to supabase_auth_admin;

-- policies
create policy "the auth server can read memberships for token claims"
  on public.memberships for select to supabase_auth_admin using (true);
create policy "the auth server can read tenants for token claims"
  on public.tenants for select to supabase_auth_admin using (true);
create policy "the auth server can read platform staff for token claims"
  on public.platform_staff for select to supabase_auth_admin using (true);
