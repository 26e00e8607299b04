-- Monthly partitions and retention: ensure_partitions creates the coming
-- months (guarded, RLS on), a default partition catches anything else,
-- drop_partitions_older_than (the owner's scheduled job, not service_role's)
-- drops whole expired months and records the purge (audit.sealer.purged_before and an audit event); the dropped rows'
-- seals stay, so the surviving chain still verifies while a row deleted
-- from a kept month is still reported.
begin;
select plan(21);

select is((select count(*)::int from pg_inherits where inhparent = 'audit.events'::regclass
            and inhrelid = 'audit.events_default'::regclass), 1, 'a default partition exists');
select ok(to_regclass('audit.events_' || to_char(now() at time zone 'UTC', 'YYYY_MM')) is not null,
  'this month has its partition');
select is(audit.ensure_partitions(3), 0, 'ensure_partitions is idempotent');
select is(audit.ensure_partitions(6), 3, 'ensure_partitions(6) adds the three missing months');
select ok(to_regclass('audit.events_' || to_char((now() at time zone 'UTC') + interval '6 months', 'YYYY_MM')) is not null,
  'the partition six months ahead exists');
select ok((select bool_and(c.relrowsecurity and exists (select from pg_trigger t where t.tgrelid = c.oid and t.tgname = 'events_refuse_truncate')
                           and not has_table_privilege('service_role', c.oid, 'select'))
             from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'audit.events'::regclass),
  'every partition has RLS, a truncate guard and no grant');
select throws_ok($$select audit.ensure_partitions(-1)$$, '22023', null, 'a negative horizon is refused');
select is((select retention from audit.settings), interval '7 years', 'the documented default retention is 7 years');
select ok(has_function_privilege('service_role', 'audit.ensure_partitions(integer)', 'execute'),
  'service_role may create the coming partitions');
select ok(not has_function_privilege('service_role', 'audit.drop_partitions_older_than(interval)', 'execute'),
  'the retention purge is the owner''s job: service_role cannot drop months with an interval of its own');

-- an old month holding tenant T's first two rows (a superuser writes them as
-- if written back then), and two rows of this month
create table audit.events_2019_01 partition of audit.events
  for values from ('2019-01-01 00:00:00+00') to ('2019-02-01 00:00:00+00');
alter table audit.events_2019_01 enable row level security;
-- seals also split the ids in blocks of 10,000: start these rows at the start
-- of a block (sequences are not transactional: ids only move forward)
select setval('audit.events_id_seq', (nextval('audit.events_id_seq') / 10000 + 1) * 10000) is not null as aligned;
insert into audit.events (occurred_at, tenant_id, action, outcome)
select timestamptz '2019-01-15 10:00:00+00' + make_interval(mins => i), 'cccccccc-0000-4000-8000-000000000000', 'test.old', 'success'
  from generate_series(1, 2) as i;
select audit.record_event('test.new', tenant_id => 'cccccccc-0000-4000-8000-000000000000');
select audit.record_event('test.kept', tenant_id => 'cccccccc-0000-4000-8000-000000000000');

-- seal this transaction's rows (audit.seal() only seals finished transactions)
select cmp_ok(audit.seal_range(pg_current_xact_id(), (pg_current_xact_id()::text::bigint + 1)::text::xid8), '>=', 4,
  'sealing this transaction seals its rows');
select results_eq(
  $$select s.seq, s.first_at, pg_catalog.array_length(s.event_ids, 1),
           s.event_ids = (select array_agg(e.id order by e.id) from audit.events as e
                           where e.tenant_id = s.chain_key and e.occurred_at >= date_trunc('month', s.first_at at time zone 'UTC') at time zone 'UTC'
                             and e.occurred_at < (date_trunc('month', s.first_at at time zone 'UTC') + interval '1 month') at time zone 'UTC')
      from audit.seals as s where s.chain_key = 'cccccccc-0000-4000-8000-000000000000' order by s.seq$$,
  $$values (1::bigint, timestamptz '2019-01-15 10:01:00+00', 2, true),
           (2::bigint, (select min(occurred_at) from audit.events where action = 'test.new'), 2, true)$$,
  'one seal per month (and block of ids), in month order, naming the month''s rows in id order');
select is((select s2.prev_hash = s1.hash and s1.prev_hash is null
             from audit.seals as s1 join audit.seals as s2 using (chain_key)
            where s1.chain_key = 'cccccccc-0000-4000-8000-000000000000' and s1.seq = 1 and s2.seq = 2), true,
  'this month''s seal links to the 2019 seal');
select is(audit.verify_chain('cccccccc-0000-4000-8000-000000000000'), null, 'before retention the chain verifies');

select is(audit.drop_partitions_older_than(interval '5 years'), 1, 'the 2019 month is older than 5 years and is dropped');
select ok(to_regclass('audit.events_2019_01') is null, 'its partition is gone');
select is((select purged_before from audit.sealer), timestamptz '2019-02-01 00:00:00+00',
  'the sealer records that rows before the dropped month''s end are purged');
select is((select count(*)::int from audit.seals where chain_key = 'cccccccc-0000-4000-8000-000000000000'), 2,
  'the dropped rows'' seal is kept');
select is(audit.verify_chain('cccccccc-0000-4000-8000-000000000000'), null,
  'the surviving chain still verifies: the seals still link, the purged rows are not looked for');
select is((select details ->> 'partitions' from audit.events where action = 'audit.retention_purge'), '["events_2019_01"]',
  'the purge itself is an audit event');

-- a superuser deletes a sealed row of a kept month: still reported
set local session_replication_role = replica;
delete from audit.events where action = 'test.new';
set local session_replication_role = origin;
select is(audit.verify_chain('cccccccc-0000-4000-8000-000000000000'),
  ((select event_ids[1] from audit.seals where chain_key = 'cccccccc-0000-4000-8000-000000000000' and seq = 2),
   'removed', 'seal 2: the row is gone')::audit.chain_fault,
  'a sealed row deleted from a kept month is still reported as removed');

select * from finish();
rollback;
