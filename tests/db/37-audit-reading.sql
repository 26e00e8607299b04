-- Reading the audit trail: tenant admins (permission audit.read) read their
-- tenant's events with filters and keyset pagination and nothing of another
-- tenant; roles without audit.read are refused; an employee reads who
-- accessed their own protected data, and only theirs.
begin;
select plan(21);

-- fixtures (as the migration owner): two tenants, an admin of each, an HR
-- manager and two employees of A, one employee of B
insert into auth.users (id, email) values
  ('a0000000-0000-4000-8000-00000000000a', 'admin-a@example.test'),
  ('b0000000-0000-4000-8000-00000000000b', 'admin-b@example.test'),
  ('a0000000-0000-4000-8000-0000000000a1', 'hr-a@example.test'),
  ('a0000000-0000-4000-8000-0000000000e1', 'emp1-a@example.test'),
  ('a0000000-0000-4000-8000-0000000000e2', 'emp2-a@example.test'),
  ('b0000000-0000-4000-8000-0000000000e1', 'emp1-b@example.test');
update public.profiles set display_name = 'HR Manager A' where id = 'a0000000-0000-4000-8000-0000000000a1';
insert into public.tenants (id, name, slug) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'Tenant A', 'tenant-a'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'Tenant B', 'tenant-b');
insert into public.memberships (tenant_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-00000000000a', 'owner'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'b0000000-0000-4000-8000-00000000000b', 'owner'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-0000000000a1', 'hr_manager'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-0000000000e1', 'employee'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-0000000000e2', 'employee'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'b0000000-0000-4000-8000-0000000000e1', 'employee');
insert into public.employees (id, tenant_id, user_id, employee_number, first_name, last_name) values
  ('ae000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-0000000000e1', 'A-1', 'Achieng', 'Otieno'),
  ('ae000000-0000-4000-8000-000000000002', 'aaaaaaaa-0000-4000-8000-000000000000', 'a0000000-0000-4000-8000-0000000000e2', 'A-2', 'Baraka', 'Mwangi'),
  ('be000000-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000000', 'b0000000-0000-4000-8000-0000000000e1', 'B-1', 'Chebet', 'Kiprop');
-- PII reveals, as the reveal function records them
select audit.record_event('employee.pii_revealed', tenant_id => 'aaaaaaaa-0000-4000-8000-000000000000',
  resource_type => 'employee', resource_id => 'ae000000-0000-4000-8000-000000000001',
  actor_id => 'a0000000-0000-4000-8000-0000000000a1', actor_role => 'authenticated',
  details => '{"fields": ["kra_pin"], "reason": "payroll setup"}');
select audit.record_event('employee.pii_revealed', tenant_id => 'aaaaaaaa-0000-4000-8000-000000000000',
  resource_type => 'employee', resource_id => 'ae000000-0000-4000-8000-000000000001',
  actor_id => 'a0000000-0000-4000-8000-0000000000a1', actor_role => 'authenticated',
  details => '{"fields": ["bank_account"], "reason": "salary change"}');
select audit.record_event('employee.pii_revealed', tenant_id => 'aaaaaaaa-0000-4000-8000-000000000000',
  resource_type => 'employee', resource_id => 'ae000000-0000-4000-8000-000000000002',
  actor_id => 'a0000000-0000-4000-8000-0000000000a1', actor_role => 'authenticated',
  details => '{"fields": ["phone"], "reason": "emergency"}');
select audit.record_event('employee.pii_revealed', tenant_id => 'bbbbbbbb-0000-4000-8000-000000000000',
  resource_type => 'employee', resource_id => 'be000000-0000-4000-8000-000000000001',
  actor_id => 'b0000000-0000-4000-8000-00000000000b', actor_role => 'authenticated',
  details => '{"fields": ["national_id"], "reason": "audit"}');

create function pg_temp.act_as(p_user uuid) returns void language sql as $$
  select set_config('request.jwt.claims', json_build_object('sub', p_user, 'role', 'authenticated')::text, true);
  select set_config('role', 'authenticated', true);
$$;
grant execute on function pg_temp.act_as(uuid) to authenticated;

-- admin of A
select pg_temp.act_as('a0000000-0000-4000-8000-00000000000a');
create temporary table page_all as select * from public.list_audit_events('aaaaaaaa-0000-4000-8000-000000000000', page_size => 500);
select ok((select count(*) from page_all) >= 9, 'the admin of A reads A''s events (row changes and security events)');
select is((select count(*)::int from page_all where tenant_id is distinct from 'aaaaaaaa-0000-4000-8000-000000000000'), 0,
  'every row returned belongs to tenant A');
select ok((select bool_and(new_values is null or new_values -> 'kra_pin_ciphertext' is null or new_values -> 'kra_pin_ciphertext' in ('null', '"[redacted]"'))
             from page_all), 'what the admin reads is redacted');
select is((select changed_columns from page_all
            where action = 'row.insert' and resource_id = 'ae000000-0000-4000-8000-000000000001'),
  (select array_agg(c.key order by c.key)
     from public.employees as e cross join lateral jsonb_each(to_jsonb(e)) as c
    where e.id = 'ae000000-0000-4000-8000-000000000001' and c.value <> 'null'::jsonb),
  'an inserted employee is read with every column it set listed as changed');
select is((select count(*)::int from public.list_audit_events('aaaaaaaa-0000-4000-8000-000000000000', action => 'employee.pii_revealed')), 3,
  'filter by action');
select is((select count(*)::int from public.list_audit_events('aaaaaaaa-0000-4000-8000-000000000000',
            resource_type => 'employees', resource_id => 'ae000000-0000-4000-8000-000000000002')), 1,
  'filter by resource (the insert of employee A-2)');
select is((select count(*)::int from public.list_audit_events('aaaaaaaa-0000-4000-8000-000000000000',
            actor_id => 'a0000000-0000-4000-8000-0000000000a1')), 3, 'filter by actor');

-- keyset pagination: pages of 2, newest first, no overlap, nothing skipped
create temporary table page1 as select * from public.list_audit_events('aaaaaaaa-0000-4000-8000-000000000000', page_size => 2);
create temporary table page2 as select * from public.list_audit_events('aaaaaaaa-0000-4000-8000-000000000000',
  before_id => (select min(id) from page1), page_size => 2);
select is((select array_agg(id order by id desc) from (select id from page1 union all select id from page2) as p),
          (select array_agg(id order by id desc) from (select id from page_all order by id desc limit 4) as p),
  'two pages of 2 are the 4 newest events, in order');
select throws_ok($$select * from public.list_audit_events('aaaaaaaa-0000-4000-8000-000000000000', page_size => 0)$$,
  '22023', null, 'page_size out of range is refused');

-- admin of B: nothing of A
select pg_temp.act_as('b0000000-0000-4000-8000-00000000000b');
select throws_ok($$select * from public.list_audit_events('aaaaaaaa-0000-4000-8000-000000000000')$$,
  '42501', 'not allowed to read this tenant''s audit trail', 'the admin of B cannot read A''s audit trail');
select ok((select count(*) from public.list_audit_events('bbbbbbbb-0000-4000-8000-000000000000', page_size => 500)) > 0,
  'the admin of B reads B''s events');
select is((select count(*)::int from public.list_audit_events('bbbbbbbb-0000-4000-8000-000000000000', page_size => 500)
            where tenant_id <> 'bbbbbbbb-0000-4000-8000-000000000000'
               or resource_id in ('ae000000-0000-4000-8000-000000000001', 'ae000000-0000-4000-8000-000000000002')), 0,
  'none of A''s rows appear in B''s trail');
select throws_ok($$select count(*) from audit.events$$, '42501', null, 'the audit table itself is out of reach');

-- roles without audit.read
select pg_temp.act_as('a0000000-0000-4000-8000-0000000000a1');
select throws_ok($$select * from public.list_audit_events('aaaaaaaa-0000-4000-8000-000000000000')$$,
  '42501', null, 'an HR manager (no audit.read) is refused');
select pg_temp.act_as('a0000000-0000-4000-8000-0000000000e1');
select throws_ok($$select * from public.list_audit_events('aaaaaaaa-0000-4000-8000-000000000000')$$,
  '42501', null, 'an employee is refused the tenant trail');

-- the employee's own PII access log
select results_eq($$select employee_id, actor_id, actor_name, details ->> 'reason' from public.my_pii_access_log() order by id$$,
  $$values ('ae000000-0000-4000-8000-000000000001'::uuid, 'a0000000-0000-4000-8000-0000000000a1'::uuid, 'HR Manager A', 'payroll setup'),
           ('ae000000-0000-4000-8000-000000000001'::uuid, 'a0000000-0000-4000-8000-0000000000a1'::uuid, 'HR Manager A', 'salary change')$$,
  'employee A-1 sees who revealed their data, when and why, and nothing about A-2');
select is((select count(*)::int from public.my_pii_access_log(page_size => 1)), 1, 'the log pages too');
select pg_temp.act_as('b0000000-0000-4000-8000-0000000000e1');
select results_eq($$select employee_id from public.my_pii_access_log()$$,
  $$values ('be000000-0000-4000-8000-000000000001'::uuid)$$, 'employee B-1 sees only their own');
select pg_temp.act_as('a0000000-0000-4000-8000-00000000000a');
select is_empty($$select * from public.my_pii_access_log()$$, 'a user with no employee record sees nothing');

reset role;
select ok(not has_function_privilege('anon', 'public.list_audit_events(uuid, text, text, text, uuid, text, timestamptz, timestamptz, bigint, integer)', 'execute')
          and not has_function_privilege('anon', 'public.my_pii_access_log(bigint, integer)', 'execute'),
  'anon cannot call the reading functions');
select ok(not has_function_privilege('authenticated', 'audit.record_event(text, text, uuid, text, text, jsonb, uuid, text, inet, text, text)', 'execute'),
  'authenticated cannot write security events');

select * from finish();
rollback;
