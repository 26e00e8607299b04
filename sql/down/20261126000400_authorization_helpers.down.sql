-- Reverts 20261126000400_authorization_helpers.sql.
drop function if exists private.has_active_support_grant(uuid);
drop function if exists private.support_grant_tenant_ids();
drop function if exists private.has_platform_permission(text);
drop function if exists private.is_platform_support();
drop function if exists private.is_platform_admin();
drop function if exists private.platform_role();
drop function if exists private.has_permission(uuid, text);
drop function if exists private.my_rank_in(uuid);
drop function if exists private.my_role_in(uuid);
drop function if exists private.role_rank(text);
drop function if exists private.readable_tenant_ids(text);
drop function if exists private.tenants_where_i_can(text);
drop function if exists private.my_tenant_ids();
