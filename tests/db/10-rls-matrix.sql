-- Row Level Security matrix: every table × actor × operation, as data.
--
-- Actors (14): anon; owner/admin/hr_manager/employee of tenant A; the same of
-- tenant B; platform_support without a grant, with an active grant to A, with
-- an expired grant to A; platform_admin; service_role.
-- Tables (14): every table of the tenancy/RBAC/HR/support model.
-- Operations (4): select (asserting the exact rows visible, by label),
-- insert into tenant A, update and delete of one tenant-A row.
-- 14 × 14 × 4 = 784 cells, each one assertion. Expectations live in
-- tests.visibility (who sees each row) and tests.write_rules (who may write);
-- tests.run_matrix() loops over them. Writes run in a subtransaction that is
-- always rolled back, so each cell starts from the same fixtures. A refused
-- write must be refused by the database's authorization (RLS filtered to
-- 0 rows, or SQLSTATE 42501), not by some unrelated error.
begin;
select plan(784);
\ir _support/tenancy-fixtures.psql

-- The matrix as data -------------------------------------------------------
-- Which table, how to name its rows (key), which tenant-A row the
-- update/delete cells target, and what an insert into tenant A looks like.
create table tests.table_spec (tbl text primary key, key_expr text not null, target text not null, insert_sql text not null);
insert into tests.table_spec values
  ('tenants', 'id::text', $$id = 'aaaaaaaa-0000-0000-0000-000000000000'$$,
   $$insert into public.tenants (name, slug) values ('New Co', 'new-co')$$),
  ('roles', 'name', $$name = 'test_role'$$,
   $$insert into public.roles (name, scope, rank) values ('new_role', 'tenant', 1)$$),
  ('permissions', 'name', $$name = 'test.perm'$$,
   $$insert into public.permissions (name) values ('new.perm')$$),
  ('role_permissions', $$role || '/' || permission$$, $$role = 'test_role' and permission = 'test.perm'$$,
   $$insert into public.role_permissions (role, permission) values ('test_role', 'tenant.read')$$),
  ('platform_staff', 'user_id::text', $$user_id = '00000000-0000-0000-0000-00000000c005'$$,
   $$insert into public.platform_staff (user_id, role) values ('00000000-0000-0000-0000-00000000d001', 'platform_support')$$),
  ('memberships', 'id::text', $$id = '10000000-0000-0000-0000-00000000a004'$$,
   $$insert into public.memberships (tenant_id, user_id, role) values ('aaaaaaaa-0000-0000-0000-000000000000', '00000000-0000-0000-0000-00000000d001', 'employee')$$),
  ('profiles', 'id::text', $$id = '00000000-0000-0000-0000-00000000a004'$$,
   $$insert into public.profiles (id) values ('00000000-0000-0000-0000-00000000d002')$$),
  ('employees', 'id::text', $$id = '20000000-0000-0000-0000-0000000000a2'$$,
   $$insert into public.employees (tenant_id, employee_number, first_name, last_name) values ('aaaaaaaa-0000-0000-0000-000000000000', 'A-900', 'Wanjiku', 'Kamau')$$),
  ('invitations', 'id::text', $$id = '30000000-0000-0000-0000-0000000000a1'$$,
   $$insert into public.invitations (tenant_id, email, role, token_hash, expires_at) values ('aaaaaaaa-0000-0000-0000-000000000000', 'another@a.test', 'employee', sha256('token-new'), now() + interval '7 days')$$),
  ('onboarding_cases', 'id::text', $$id = '40000000-0000-0000-0000-0000000000a1'$$,
   $$insert into public.onboarding_cases (tenant_id, first_name) values ('aaaaaaaa-0000-0000-0000-000000000000', 'Otieno')$$),
  ('onboarding_case_status_history', 'id::text', $$case_id = '40000000-0000-0000-0000-0000000000a1'$$,
   $$insert into public.onboarding_case_status_history (tenant_id, case_id, to_status) values ('aaaaaaaa-0000-0000-0000-000000000000', '40000000-0000-0000-0000-0000000000a1', 'draft')$$),
  ('support_tickets', 'id::text', $$id = '50000000-0000-0000-0000-0000000000a1'$$,
   $$insert into public.support_tickets (tenant_id, subject) values ('aaaaaaaa-0000-0000-0000-000000000000', 'Cannot invite')$$),
  ('support_ticket_messages', 'id::text', $$id = '60000000-0000-0000-0000-0000000000a1'$$,
   $$insert into public.support_ticket_messages (tenant_id, ticket_id, body) values ('aaaaaaaa-0000-0000-0000-000000000000', '50000000-0000-0000-0000-0000000000a1', 'Any update?')$$),
  ('support_access_grants', 'id::text', $$id = '70000000-0000-0000-0000-000000000001'$$,
   $$insert into public.support_access_grants (tenant_id, support_user_id, reason, expires_at) values ('aaaaaaaa-0000-0000-0000-000000000000', coalesce(auth.uid(), '00000000-0000-0000-0000-00000000c005'), 'Investigating a ticket', now() + interval '1 day')$$);

-- Actor groups used in the expectation lists.
create function tests.expand(p_list text) returns text[]
language sql as $$
  select coalesce(array_agg(distinct x), '{}')
  from unnest(string_to_array(btrim(p_list), ' ')) as tok
  cross join lateral unnest(case tok
    when '@auth' then array(select name from tests.actors where db_role = 'authenticated')
    when '@a_all' then array['owner_a', 'admin_a', 'hr_a', 'employee_a']
    when '@a_mgr' then array['owner_a', 'admin_a', 'hr_a']
    when '@a_adm' then array['owner_a', 'admin_a']
    when '@b_all' then array['owner_b', 'admin_b', 'hr_b', 'employee_b']
    when '@b_mgr' then array['owner_b', 'admin_b', 'hr_b']
    when '@b_adm' then array['owner_b', 'admin_b']
    else array[tok] end) as x
  where tok <> ''
$$;

-- SELECT: every row of every table, labelled, with who may see it.
create table tests.visibility (tbl text, key text, label text, visible_to text, primary key (tbl, key));
insert into tests.visibility values
  ('tenants', 'aaaaaaaa-0000-0000-0000-000000000000', 'tenant_a', '@a_all support_active platform_admin service_role'),
  ('tenants', 'bbbbbbbb-0000-0000-0000-000000000000', 'tenant_b', '@b_all platform_admin service_role'),
  ('platform_staff', '00000000-0000-0000-0000-00000000c001', 'staff_support_none', 'support_none platform_admin service_role'),
  ('platform_staff', '00000000-0000-0000-0000-00000000c002', 'staff_support_active', 'support_active platform_admin service_role'),
  ('platform_staff', '00000000-0000-0000-0000-00000000c003', 'staff_support_expired', 'support_expired platform_admin service_role'),
  ('platform_staff', '00000000-0000-0000-0000-00000000c004', 'staff_platform_admin', 'platform_admin service_role'),
  ('platform_staff', '00000000-0000-0000-0000-00000000c005', 'staff_spare', 'platform_admin service_role'),
  -- linked employees read their own record through public.my_employee_records() (tests/db/18), not the table
  ('employees', '20000000-0000-0000-0000-0000000000a1', 'employee_a1_linked', '@a_mgr support_active service_role'),
  ('employees', '20000000-0000-0000-0000-0000000000a2', 'employee_a2', '@a_mgr support_active service_role'),
  ('employees', '20000000-0000-0000-0000-0000000000b1', 'employee_b1_linked', '@b_mgr service_role'),
  ('employees', '20000000-0000-0000-0000-0000000000b2', 'employee_b2', '@b_mgr service_role'),
  ('invitations', '30000000-0000-0000-0000-0000000000a1', 'invitation_a', '@a_mgr service_role'),
  ('invitations', '30000000-0000-0000-0000-0000000000b1', 'invitation_b', '@b_mgr service_role'),
  ('onboarding_cases', '40000000-0000-0000-0000-0000000000a1', 'case_a', '@a_mgr employee_a support_active service_role'),
  ('onboarding_cases', '40000000-0000-0000-0000-0000000000b1', 'case_b', '@b_mgr employee_b service_role'),
  ('support_tickets', '50000000-0000-0000-0000-0000000000a1', 'ticket_a', '@a_mgr support_active service_role'),
  ('support_tickets', '50000000-0000-0000-0000-0000000000b1', 'ticket_b', '@b_mgr service_role'),
  ('support_ticket_messages', '60000000-0000-0000-0000-0000000000a1', 'message_a_public', '@a_mgr support_active service_role'),
  ('support_ticket_messages', '60000000-0000-0000-0000-0000000000a2', 'message_a_internal', 'support_active service_role'),
  ('support_ticket_messages', '60000000-0000-0000-0000-0000000000b1', 'message_b_public', '@b_mgr service_role'),
  ('support_ticket_messages', '60000000-0000-0000-0000-0000000000b2', 'message_b_internal', 'service_role'),
  ('support_access_grants', '70000000-0000-0000-0000-000000000001', 'grant_a_active', 'support_active @a_adm platform_admin service_role'),
  ('support_access_grants', '70000000-0000-0000-0000-000000000002', 'grant_a_expired', 'support_expired @a_adm platform_admin service_role'),
  ('support_access_grants', '70000000-0000-0000-0000-000000000003', 'grant_b_requested', 'support_none @b_adm platform_admin service_role');
-- memberships: managers see their tenant's, everyone sees their own, platform
-- admins all, granted support tenant A's.
insert into tests.visibility
select 'memberships', m.id::text, 'membership_' || a.name,
       case when a.name like '%\_a' then '@a_mgr support_active ' else '@b_mgr ' end || a.name || ' platform_admin service_role'
from public.memberships m join tests.actors a on a.user_id = m.user_id;
-- profiles: own only, plus platform admins.
insert into tests.visibility
select 'profiles', p.id::text, 'profile_' || coalesce(a.name, split_part(u.email, '@', 1)),
       coalesce(a.name, '') || ' platform_admin service_role'
from public.profiles p join auth.users u on u.id = p.id left join tests.actors a on a.user_id = p.id;
-- history rows were written by the workflow trigger when the cases were made.
insert into tests.visibility
select 'onboarding_case_status_history', h.id::text,
       case when h.tenant_id = 'aaaaaaaa-0000-0000-0000-000000000000' then 'history_a' else 'history_b' end,
       case when h.tenant_id = 'aaaaaaaa-0000-0000-0000-000000000000' then '@a_mgr employee_a support_active service_role'
            else '@b_mgr employee_b service_role' end
from public.onboarding_case_status_history h;
-- reference catalogues: every signed-in user.
insert into tests.visibility select 'roles', name, 'role_' || name, '@auth service_role' from public.roles;
insert into tests.visibility select 'permissions', name, 'permission_' || name, '@auth service_role' from public.permissions;
insert into tests.visibility select 'role_permissions', role || '/' || permission, 'rp_' || role || '/' || permission, '@auth service_role'
from public.role_permissions;

-- INSERT / UPDATE / DELETE: who may do it to tenant A's row; all others are refused.
create table tests.write_rules (tbl text, op text, allowed text, primary key (tbl, op));
insert into tests.write_rules values
  ('tenants', 'insert', 'platform_admin service_role'),
  ('tenants', 'update', '@a_adm platform_admin service_role'),
  ('tenants', 'delete', 'service_role'),
  ('roles', 'insert', 'service_role'),
  ('roles', 'update', 'service_role'),
  ('roles', 'delete', 'service_role'),
  ('permissions', 'insert', 'service_role'),
  ('permissions', 'update', 'service_role'),
  ('permissions', 'delete', 'service_role'),
  ('role_permissions', 'insert', 'service_role'),
  ('role_permissions', 'update', 'service_role'),
  ('role_permissions', 'delete', 'service_role'),
  ('platform_staff', 'insert', 'platform_admin service_role'),
  ('platform_staff', 'update', 'platform_admin service_role'),
  ('platform_staff', 'delete', 'platform_admin service_role'),
  ('memberships', 'insert', '@a_adm service_role'),
  ('memberships', 'update', '@a_adm service_role'),
  ('memberships', 'delete', '@a_adm employee_a service_role'),
  ('profiles', 'insert', 'service_role'),
  ('profiles', 'update', 'employee_a service_role'),
  ('profiles', 'delete', 'service_role'),
  ('employees', 'insert', '@a_mgr service_role'),
  ('employees', 'update', '@a_mgr service_role'),
  ('employees', 'delete', '@a_adm service_role'),
  ('invitations', 'insert', '@a_mgr service_role'),
  ('invitations', 'update', '@a_mgr service_role'),
  ('invitations', 'delete', 'service_role'),
  ('onboarding_cases', 'insert', '@a_mgr service_role'),
  ('onboarding_cases', 'update', '@a_mgr employee_a service_role'),
  ('onboarding_cases', 'delete', 'service_role'),
  ('onboarding_case_status_history', 'insert', 'service_role'),
  ('onboarding_case_status_history', 'update', 'service_role'),
  ('onboarding_case_status_history', 'delete', 'service_role'),
  ('support_tickets', 'insert', '@a_mgr service_role'),
  ('support_tickets', 'update', '@a_mgr support_active service_role'),
  ('support_tickets', 'delete', 'service_role'),
  ('support_ticket_messages', 'insert', '@a_mgr support_active service_role'),
  ('support_ticket_messages', 'update', 'service_role'),
  ('support_ticket_messages', 'delete', 'service_role'),
  ('support_access_grants', 'insert', 'support_none support_active support_expired service_role'),
  ('support_access_grants', 'update', '@a_adm service_role'),
  ('support_access_grants', 'delete', 'service_role');

-- The runner --------------------------------------------------------------
-- Runs one statement as the actor inside a subtransaction that is always
-- rolled back, so every cell starts from the same fixtures.
create function tests.try_write(p_actor text, p_sql text) returns text
language plpgsql as $$
declare
  v_rows bigint;
  v_result text;
begin
  perform tests.act_as(p_actor);
  begin
    execute p_sql;
    get diagnostics v_rows = row_count;
    raise exception using errcode = 'KZT00', message = v_rows::text;
  exception
    when sqlstate 'KZT00' then v_result := 'ok:' || sqlerrm;
    when others then v_result := 'error:' || sqlstate;
  end;
  perform tests.act_as_superuser();
  return v_result;
end;
$$;

-- Labels of the rows the actor can see in the table ('error:<sqlstate>' if refused).
create function tests.try_select(p_actor text, p_tbl text) returns text
language plpgsql as $$
declare
  v_keys text[];
  v_result text;
  v_sql text := format('select coalesce(array_agg(k), ''{}'') from (select %s as k from public.%I) s',
                       (select key_expr from tests.table_spec where tbl = p_tbl), p_tbl);
begin
  perform tests.act_as(p_actor);
  begin
    execute v_sql into v_keys;
  exception when others then v_result := 'error:' || sqlstate;
  end;
  perform tests.act_as_superuser();
  if v_result is null then
    select 'rows:' || coalesce(string_agg(coalesce(v.label, '?' || k), ',' order by coalesce(v.label, '?' || k)), '')
      into v_result
    from unnest(v_keys) k left join tests.visibility v on v.tbl = p_tbl and v.key = k;
  end if;
  return v_result;
end;
$$;

create function tests.run_matrix() returns setof text
language plpgsql as $$
declare
  t tests.table_spec;
  a tests.actors;
  v_op text;
  v_expected text;
  v_got text;
  v_sql text;
begin
  for t in select * from tests.table_spec order by tbl loop
    for a in select * from tests.actors order by name loop
      v_expected := case when a.db_role = 'anon' then 'error:42501' else
        'rows:' || coalesce((select string_agg(v.label, ',' order by v.label) from tests.visibility v
                             where v.tbl = t.tbl and a.name = any(tests.expand(v.visible_to))), '') end;
      v_got := tests.try_select(a.name, t.tbl);
      return next is(v_got, v_expected, format('%s × %s × select sees exactly the expected rows', t.tbl, a.name));

      foreach v_op in array array['insert', 'update', 'delete'] loop
        v_sql := case v_op
          when 'insert' then t.insert_sql
          when 'update' then format('update public.%I set updated_at = now() where %s', t.tbl, t.target)
          else format('delete from public.%I where %s', t.tbl, t.target) end;
        v_got := tests.try_write(a.name, v_sql);
        if a.name = any(tests.expand((select w.allowed from tests.write_rules w where w.tbl = t.tbl and w.op = v_op))) then
          return next is(v_got, 'ok:1', format('%s × %s × %s is allowed', t.tbl, a.name, v_op));
        else
          return next ok(v_got in ('ok:0', 'error:42501'),
                         format('%s × %s × %s is refused (got %s)', t.tbl, a.name, v_op, v_got));
        end if;
      end loop;
    end loop;
  end loop;
end;
$$;

select * from tests.run_matrix();

select * from finish();
rollback;
