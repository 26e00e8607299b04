-- Reverts 20261126002100_admin_api.sql.
drop function if exists private.tenant_key_rotations(uuid, uuid);
drop function if exists private.create_tenant_with_owner(text, text, text, bytea, timestamptz);
drop function if exists private.tenant_members(uuid);
drop function if exists private.hit_rate_limit(text, integer, integer);
delete from public.role_permissions where permission = 'keys.rotate';
delete from public.permissions where name = 'keys.rotate';
drop table if exists private.rate_limit_windows;
