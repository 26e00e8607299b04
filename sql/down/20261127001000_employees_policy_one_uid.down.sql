-- Reverts 20261127001000_employees_policy_one_uid.sql: the employees read
-- policy probes private.tenant_access directly again, as
-- 20261127000100_tenant_access.sql defined it; the view goes.

-- policies
drop policy "people managers and granted support read employees" on public.employees;
create policy "people managers and granted support read employees"
  on public.employees for select to authenticated
  using (tenant_id = any(array(
    select a.tenant_id from private.tenant_access a
     where a.user_id = (select auth.uid())
       and a.permission in ('employees.read', '*')
       and (a.expires_at is null or a.expires_at > now()))));

-- views
drop view private.my_tenant_access;
