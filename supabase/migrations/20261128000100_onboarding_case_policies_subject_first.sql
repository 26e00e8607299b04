-- A new hire's own case is checked first: the read and update policies of
-- onboarding_cases test "my case, in a tenant I belong to" before the staff
-- probes. Postgres evaluates an OR from left to right and runs an InitPlan
-- only when its value is first needed, so a new hire saving their details
-- no longer pays for private.readable_tenant_ids and
-- private.tenants_where_i_can (both empty for them, each evaluated as the
-- statement's USING and again as its WITH CHECK); staff pay one uuid
-- comparison per row before their own arm. Who may read or update which case
-- is unchanged (the same two arms, or'ed; tests/db/10-rls-matrix.sql).
--
-- Why: saving details is one guarded UPDATE ... RETURNING. In pgbench on this
-- machine, that transaction (audit trigger off, 5 clients, 2 cores) went from
-- about 3,000 to 3,650 a second, about 0.12 ms of Postgres CPU less a save.
--
-- Policies: "staff, the new hire and granted support can read cases" and
--           "staff can work on cases and new hires on their own draft" on
--           public.onboarding_cases (arms reordered)

-- policies
alter policy "staff, the new hire and granted support can read cases" on public.onboarding_cases
  using (
    (subject_user_id = (select auth.uid()) and tenant_id = any(array(select private.my_tenant_ids())))
    or tenant_id = any(array(select private.readable_tenant_ids('onboarding.read')))
  );
alter policy "staff can work on cases and new hires on their own draft" on public.onboarding_cases
  using (
    (subject_user_id = (select auth.uid()) and status = 'draft'
     and tenant_id = any(array(select private.my_tenant_ids())))
    or tenant_id = any(array(select private.tenants_where_i_can('onboarding.write')))
  )
  with check (
    (subject_user_id = (select auth.uid()) and status in ('draft', 'submitted')
     and tenant_id = any(array(select private.my_tenant_ids())))
    or tenant_id = any(array(select private.tenants_where_i_can('onboarding.write')))
  );
