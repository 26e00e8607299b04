-- The custom access token hook, the authorization helpers and their privileges,
-- and proof that decisions read live rows (not claims, not user_metadata).
begin;
select plan(46);
\ir _support/tenancy-fixtures.psql

-- Who may execute what ---------------------------------------------------------
select function_privs_are('public', 'custom_access_token_hook', array['jsonb'], 'supabase_auth_admin', array['EXECUTE'],
  'supabase_auth_admin can execute the access token hook');
select ok(not has_function_privilege(r, 'public.custom_access_token_hook(jsonb)', 'execute'),
          format('%s cannot execute the access token hook', r))
from unnest(array['anon', 'authenticated', 'service_role']) r;
select ok(not has_function_privilege('anon', p.oid, 'execute'),
          format('anon cannot execute private.%s', p.proname))
from pg_proc p where p.pronamespace = 'private'::regnamespace
  and p.proname in ('my_tenant_ids', 'tenants_where_i_can', 'role_rank', 'my_role_in', 'my_rank_in', 'has_permission',
                    'platform_role', 'is_platform_admin', 'is_platform_support', 'has_platform_permission',
                    'support_grant_tenant_ids', 'has_active_support_grant', 'readable_tenant_ids', 'my_employee_ids')
order by p.proname;
select ok(p.prosecdef and p.proconfig = array['search_path=""'] and p.provolatile = 's'
          and has_function_privilege('authenticated', p.oid, 'execute'),
          format('private.%s is a stable security definer with an empty search_path, executable by authenticated', p.proname))
from pg_proc p where p.pronamespace = 'private'::regnamespace
  and p.proname in ('my_tenant_ids', 'tenants_where_i_can', 'role_rank', 'my_role_in', 'my_rank_in', 'has_permission',
                    'platform_role', 'is_platform_admin', 'is_platform_support', 'has_platform_permission',
                    'support_grant_tenant_ids', 'has_active_support_grant', 'readable_tenant_ids', 'my_employee_ids')
order by p.proname;

-- The hook's claims -----------------------------------------------------------
select is(tests.claims_for('00000000-0000-0000-0000-00000000a001') -> 'app_metadata' -> 'tenants',
  '[{"tenant_id": "aaaaaaaa-0000-0000-0000-000000000000", "role": "owner"}]'::jsonb,
  'the hook lists the owner''s tenant and role');
select is(tests.claims_for('00000000-0000-0000-0000-00000000c004') -> 'app_metadata',
  '{"provider": "email", "providers": ["email"], "tenants": [], "platform_role": "platform_admin"}'::jsonb,
  'the hook adds the platform role and keeps the existing app_metadata');
select ok((select bool_and(tests.claims_for('00000000-0000-0000-0000-00000000a003') ? k)
           from unnest(array['iss', 'sub', 'aud', 'exp', 'iat', 'role', 'aal', 'amr', 'session_id', 'email', 'is_anonymous']) k),
  'the hook keeps every claim a real token carries');
update public.tenants set deleted_at = now() where id = 'bbbbbbbb-0000-0000-0000-000000000000';
select is(tests.claims_for('00000000-0000-0000-0000-00000000b001') -> 'app_metadata' -> 'tenants', '[]'::jsonb,
  'a soft-deleted tenant is not listed');
update public.tenants set deleted_at = null where id = 'bbbbbbbb-0000-0000-0000-000000000000';

-- Helper answers, as each actor --------------------------------------------------
create temp table helper_answers (actor text, question text, answer text);
grant insert on helper_answers to authenticated;
create function pg_temp.ask(p_actor text) returns void language plpgsql as $$
begin
  perform tests.act_as(p_actor);
  insert into helper_answers values
    (p_actor, 'my_tenant_ids', (select coalesce(string_agg(t::text, ','), '') from private.my_tenant_ids() t)),
    (p_actor, 'my_role_in(A)', coalesce(private.my_role_in('aaaaaaaa-0000-0000-0000-000000000000'), '-')),
    (p_actor, 'my_rank_in(A)', private.my_rank_in('aaaaaaaa-0000-0000-0000-000000000000')::text),
    (p_actor, 'has_permission(A, members.manage)', private.has_permission('aaaaaaaa-0000-0000-0000-000000000000', 'members.manage')::text),
    (p_actor, 'has_active_support_grant(A)', private.has_active_support_grant('aaaaaaaa-0000-0000-0000-000000000000')::text),
    (p_actor, 'platform_role', coalesce(private.platform_role(), '-'));
  perform tests.act_as_superuser();
end;
$$;
select pg_temp.ask(a) from unnest(array['owner_a', 'hr_a', 'employee_b', 'support_active', 'support_expired', 'platform_admin']) a;
select results_eq(
  $$select actor, question, answer from helper_answers order by actor, question$$,
  $$values
    ('employee_b', 'has_active_support_grant(A)', 'false'), ('employee_b', 'has_permission(A, members.manage)', 'false'),
    ('employee_b', 'my_rank_in(A)', '0'), ('employee_b', 'my_role_in(A)', '-'),
    ('employee_b', 'my_tenant_ids', 'bbbbbbbb-0000-0000-0000-000000000000'), ('employee_b', 'platform_role', '-'),
    ('hr_a', 'has_active_support_grant(A)', 'false'), ('hr_a', 'has_permission(A, members.manage)', 'false'),
    ('hr_a', 'my_rank_in(A)', '20'), ('hr_a', 'my_role_in(A)', 'hr_manager'),
    ('hr_a', 'my_tenant_ids', 'aaaaaaaa-0000-0000-0000-000000000000'), ('hr_a', 'platform_role', '-'),
    ('owner_a', 'has_active_support_grant(A)', 'false'), ('owner_a', 'has_permission(A, members.manage)', 'true'),
    ('owner_a', 'my_rank_in(A)', '40'), ('owner_a', 'my_role_in(A)', 'owner'),
    ('owner_a', 'my_tenant_ids', 'aaaaaaaa-0000-0000-0000-000000000000'), ('owner_a', 'platform_role', '-'),
    ('platform_admin', 'has_active_support_grant(A)', 'false'), ('platform_admin', 'has_permission(A, members.manage)', 'false'),
    ('platform_admin', 'my_rank_in(A)', '0'), ('platform_admin', 'my_role_in(A)', '-'),
    ('platform_admin', 'my_tenant_ids', ''), ('platform_admin', 'platform_role', 'platform_admin'),
    ('support_active', 'has_active_support_grant(A)', 'true'), ('support_active', 'has_permission(A, members.manage)', 'false'),
    ('support_active', 'my_rank_in(A)', '0'), ('support_active', 'my_role_in(A)', '-'),
    ('support_active', 'my_tenant_ids', ''), ('support_active', 'platform_role', 'platform_support'),
    ('support_expired', 'has_active_support_grant(A)', 'false'), ('support_expired', 'has_permission(A, members.manage)', 'false'),
    ('support_expired', 'my_rank_in(A)', '0'), ('support_expired', 'my_role_in(A)', '-'),
    ('support_expired', 'my_tenant_ids', ''), ('support_expired', 'platform_role', 'platform_support')
  $$,
  'the helpers answer from live rows for each actor');
select is(private.role_rank('owner'), 40, 'role_rank(owner) = 40');
select is(private.role_rank('platform_admin'), null, 'platform roles have no tenant rank');

-- Decisions read live rows, never claims or user_metadata --------------------------
-- employee_a forges claims naming them owner of tenant B; RLS ignores them.
select tests.act_as('employee_a');
select set_config('request.jwt.claims', (current_setting('request.jwt.claims')::jsonb
  || jsonb_build_object('app_metadata', jsonb_build_object('tenants', jsonb_build_array(
       jsonb_build_object('tenant_id', 'bbbbbbbb-0000-0000-0000-000000000000', 'role', 'owner'))),
     'user_metadata', jsonb_build_object('role', 'owner', 'tenant_id', 'bbbbbbbb-0000-0000-0000-000000000000')))::text, true);
select is((select count(*)::int from public.employees where tenant_id = 'bbbbbbbb-0000-0000-0000-000000000000'), 0,
  'forged app_metadata/user_metadata claims open nothing');
select tests.act_as_superuser();
-- A removed member loses access at once, even with a token that still says admin.
select tests.act_as('admin_a');
select is((select count(*)::int from public.employees), 2, 'an admin sees their tenant''s employees');
select tests.act_as_superuser();
delete from public.memberships where id = '10000000-0000-0000-0000-00000000a002';
select tests.act_as('admin_a');
select is((select count(*)::int from public.employees), 0, 'once removed, the same user sees nothing');
select tests.act_as_superuser();
-- A revoked support grant closes the tenant at once.
select tests.act_as('owner_a');
select lives_ok($$update public.support_access_grants set revoked_at = now() where id = '70000000-0000-0000-0000-000000000001'$$,
  'an owner can revoke a support grant');
select tests.act_as('support_active');
select is((select count(*)::int from public.employees), 0, 'revoked support access sees no employees');
select tests.act_as_superuser();
-- Soft-deleting a tenant closes it to its members.
update public.tenants set deleted_at = now() where id = 'aaaaaaaa-0000-0000-0000-000000000000';
select tests.act_as('owner_a');
select is((select count(*)::int from public.employees), 0, 'members of a soft-deleted tenant see nothing');
select tests.act_as_superuser();

-- A profile is created for each new auth user -----------------------------------
insert into auth.users (id, email) values ('00000000-0000-0000-0000-00000000e001', 'new@kazi-tests.test');
select is((select count(*)::int from public.profiles where id = '00000000-0000-0000-0000-00000000e001'), 1,
  'inserting an auth user creates their profile');

select * from finish();
rollback;
