-- Reverts 20261126000110_auth_password_hook.sql (audit events it wrote stay).
revoke usage on schema private from supabase_auth_admin;
drop function if exists public.hook_password_verification_attempt(jsonb);
drop function if exists private.password_verification_attempt(jsonb);
drop table if exists private.auth_password_failures;
drop table if exists private.auth_lockout_settings;
