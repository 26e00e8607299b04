-- Audit rows and their seals are append-only: no role (the API roles, the
-- service role, the table owner) can UPDATE, DELETE or TRUNCATE them through
-- normal SQL, on the partitioned table, on any partition or on audit.seals;
-- the API roles and the service role cannot touch the sealer's progress row
-- (audit.sealer; its owner may); the API roles cannot read or insert audit
-- rows directly.
begin;
select plan(16);

-- some rows to aim at (row triggers only fire when a row is hit), sealed so
-- that audit.seals has rows too (tenant A's chain and the platform chain)
select audit.record_event('test.append_only', tenant_id => 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
select audit.record_event('test.append_only');
select is(audit.seal_range(pg_current_xact_id(), (pg_current_xact_id()::text::bigint + 1)::text::xid8), 2,
  'this transaction''s two rows are sealed (two seals: tenant A, the platform)');

-- every (role, statement) attempt, run as that role; the outcome is its SQLSTATE
create temporary table attempts (role_name text, statement text, outcome text);
do $$
declare
  v_role text;
  v_sql text;
  v_outcome text;
  v_month text := 'audit.events_' || to_char(now() at time zone 'UTC', 'YYYY_MM');
begin
  foreach v_role in array array['anon', 'authenticated', 'service_role', 'postgres'] loop
    foreach v_sql in array array[
      'update audit.events set action = ''forged''',
      'delete from audit.events',
      'truncate audit.events',
      'update ' || v_month || ' set outcome = ''denied''',
      'delete from ' || v_month,
      'truncate ' || v_month,
      'truncate audit.events_default',
      'update audit.seals set hash = ''\x00''',
      'delete from audit.seals',
      'truncate audit.seals',
      'update audit.sealer set sealed_below = ''0'''] loop
      continue when v_role = 'postgres' and v_sql like 'update audit.sealer%';
      begin
        execute format('set local role %I', v_role);
        execute v_sql;
        v_outcome := 'allowed';
      exception when others then
        v_outcome := sqlstate;
      end;
      reset role;
      insert into attempts values (v_role, v_sql, v_outcome);
    end loop;
  end loop;
end;
$$;

select is((select count(*)::int from attempts), 43,
  'the matrix covers 4 roles x 11 statements (the owner may reset the sealer)');
select is_empty($$select role_name, statement, outcome from attempts where outcome <> '42501'$$,
  'every UPDATE, DELETE and TRUNCATE of audit rows and seals is refused with 42501, for every role, on the parent, on partitions and on audit.seals');
select is((select count(*)::int from audit.events where action = 'test.append_only'), 2, 'the rows are all still there');
select is((select count(*)::int from audit.seals
            where event_ids && array(select id from audit.events where action = 'test.append_only')), 2,
  'the seals are all still there');

-- the owner is refused by the guard triggers, with a clear message
select throws_ok('update audit.events set action = ''forged''', '42501',
  'audit events are append-only: UPDATE refused', 'the owner cannot update audit rows');
select throws_ok('delete from audit.events', '42501',
  'audit events are append-only: DELETE refused', 'the owner cannot delete audit rows');
select throws_ok('truncate audit.events', '42501',
  'audit events are append-only: TRUNCATE refused', 'the owner cannot truncate the audit table');
select throws_ok('update audit.seals set hash = ''\x00''', '42501',
  'audit events are append-only: UPDATE refused', 'the owner cannot update seals');
select throws_ok('delete from audit.seals', '42501',
  'audit events are append-only: DELETE refused', 'the owner cannot delete seals');
select throws_ok('truncate audit.seals', '42501',
  'audit events are append-only: TRUNCATE refused', 'the owner cannot truncate the seals');

-- the API roles cannot even see the schema; the service role only calls functions
select ok(not has_schema_privilege('anon', 'audit', 'usage') and not has_schema_privilege('authenticated', 'audit', 'usage'),
  'anon and authenticated have no usage on schema audit');
select ok(not has_table_privilege('service_role', 'audit.events', 'select,insert,update,delete,truncate'),
  'service_role has no privilege on audit.events');
select ok(not has_table_privilege('service_role', 'audit.seals', 'select,insert,update,delete,truncate')
          and not has_table_privilege('service_role', 'audit.sealer', 'select,insert,update,delete,truncate'),
  'service_role has no privilege on audit.seals or audit.sealer (it seals through audit.seal())');
select ok(not exists (select from pg_class as c
                       where c.relnamespace = 'audit'::regnamespace and c.relkind in ('r', 'p')
                         and not c.relrowsecurity),
  'row level security is enabled on every audit table and partition');
select ok(not exists (select from pg_inherits as i join pg_class as c on c.oid = i.inhrelid
                       where i.inhparent = 'audit.events'::regclass
                         and not exists (select from pg_trigger as t
                                          where t.tgrelid = c.oid and t.tgname = 'events_refuse_truncate')),
  'every partition has its own truncate guard');

select * from finish();
rollback;
