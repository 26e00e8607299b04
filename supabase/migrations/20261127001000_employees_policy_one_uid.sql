-- The employees read policy asks for the caller's id once per statement, not
-- twice. Its probe of private.tenant_access went through that table's own
-- RLS policy (user_id = auth.uid()), so every statement evaluated auth.uid()
-- twice (each parses the request.jwt.claims JSON PostgREST sets) and
-- compared the two: about a quarter of the policy's cost on a list of
-- employees. The probe now reads private.my_tenant_access, a security-barrier
-- view of the caller's own access rows: the view reads the table as its
-- owner (no nested policy) and filters on auth.uid() itself, so it shows
-- each user exactly the rows the table's policy shows them. Authenticated
-- users may only select from it.
--
-- Views:     private.my_tenant_access (new)
-- Policies:  "people managers and granted support read employees" on public.employees (new body)

-- views
create view private.my_tenant_access with (security_barrier) as
  select a.tenant_id, a.permission, a.expires_at
    from private.tenant_access as a
   where a.user_id = (select auth.uid());
comment on view private.my_tenant_access is
  'The caller''s own rows of private.tenant_access (the rows its RLS policy shows them), for policies to probe without the table''s own policy.';
revoke all on private.my_tenant_access from public, anon, authenticated, service_role;
grant select on private.my_tenant_access to authenticated;

-- policies
drop policy "people managers and granted support read employees" on public.employees;
create policy "people managers and granted support read employees"
  on public.employees for select to authenticated
  using (tenant_id = any(array(
    select m.tenant_id from private.my_tenant_access as m
     where m.permission in ('employees.read', '*')
       and (m.expires_at is null or m.expires_at > now()))));
