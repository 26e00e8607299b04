-- Reverts 20261126000800_access_token_hook.sql.
drop policy if exists "the auth server can read platform staff for token claims" on public.platform_staff;
drop policy if exists "the auth server can read tenants for token claims" on public.tenants;
drop policy if exists "the auth server can read memberships for token claims" on public.memberships;
revoke select on public.memberships, public.tenants, public.platform_staff from supabase_auth_admin;
revoke usage on schema public from supabase_auth_admin;
drop function if exists public.custom_access_token_hook(jsonb);
