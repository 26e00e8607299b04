-- Reverts 20261128000100_onboarding_case_policies_subject_first.sql: the
-- read and update policies of onboarding_cases test the staff arm first
-- again, as 20261126000700_onboarding.sql defined them.

-- policies
alter policy "staff, the new hire and granted support can read cases" on public.onboarding_cases
  using (
    tenant_id = any(array(select private.readable_tenant_ids('onboarding.read')))
    or (subject_user_id = (select auth.uid()) and tenant_id = any(array(select private.my_tenant_ids())))
  );
alter policy "staff can work on cases and new hires on their own draft" on public.onboarding_cases
  using (
    tenant_id = any(array(select private.tenants_where_i_can('onboarding.write')))
    or (subject_user_id = (select auth.uid()) and status = 'draft'
        and tenant_id = any(array(select private.my_tenant_ids())))
  )
  with check (
    tenant_id = any(array(select private.tenants_where_i_can('onboarding.write')))
    or (subject_user_id = (select auth.uid()) and status in ('draft', 'submitted')
        and tenant_id = any(array(select private.my_tenant_ids())))
  );
