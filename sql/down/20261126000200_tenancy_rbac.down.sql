-- Reverts 20261126000200_tenancy_rbac.sql.
drop table if exists public.profiles;
drop table if exists public.memberships;
drop table if exists public.platform_staff;
drop table if exists public.role_permissions;
drop table if exists public.permissions;
drop table if exists public.roles;
drop table if exists public.tenants;
