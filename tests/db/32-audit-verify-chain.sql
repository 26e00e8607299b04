-- Tamper evidence over seals: audit.seal() only seals the rows of finished
-- transactions (not this test's own, still open: it seals them with
-- audit.seal_range), and has nothing to do when run again at once. A seal
-- holds a chain's rows of one month and one block of 10,000 ids (tenant C's
-- 10,001 rows, consecutive ids: two seals, the second linking to the first;
-- hash = sha256(prev_hash || row hashes in id order || its first and last
-- times)); the assertions do not
-- depend on where the blocks fall. audit.verify_chain(tenant) returns null for
-- an intact chain and
-- names the first row a superuser altered, back-dated, moved or removed, a
-- row inserted into the sealed past or named by two seals, and a seal edited
-- (hash, row hashes, re-hashed after a row edit) or removed (the last one:
-- its rows are named by no seal once the sealer is past them); with the guard
-- triggers switched off inside this transaction, each case undone by a
-- savepoint. Rows are checked from their seal on (an unsealed row's edit goes
-- unnoticed). Tenants have separate chains. Only service_role may seal and
-- verify.
begin;
select plan(35);

create temporary table ids (label text primary key, id bigint);
insert into ids
select 'a' || n, audit.record_event('test.chain', tenant_id => 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
                                    resource_id => n::text, details => jsonb_build_object('n', n))
  from generate_series(1, 5) as n;
insert into ids values ('b', audit.record_event('test.chain', tenant_id => 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'));
insert into ids values ('platform', audit.record_event('test.chain'));
-- tenant C: 10,001 rows from one statement, more than one seal holds
create table public.verify_probe (id int primary key, tenant_id uuid);
select audit.track('public.verify_probe');
insert into public.verify_probe select g, 'cccccccc-cccc-4ccc-8ccc-cccccccccccc' from generate_series(1, 10001) as g;

-- the seal (its seq) that names a row, and the first row of a seal
create function pg_temp.seal_of(p_id bigint) returns bigint language sql as $$
  select s.seq from audit.seals as s where p_id = any (s.event_ids)
$$;
create function pg_temp.first_of(p_chain uuid, p_seq bigint) returns bigint language sql as $$
  select s.event_ids[1] from audit.seals as s where s.chain_key = p_chain and s.seq = p_seq
$$;
-- a row's hash as audit.seal computes it (to re-hash a seal as an attacker would)
create function pg_temp.row_hash(p_id bigint) returns bytea language plpgsql as $$
declare
  v_hash bytea;
begin
  execute format('select %s from audit.events as e where e.id = $1', audit.event_hash_sql('e')) into v_hash using p_id;
  return v_hash;
end;
$$;

-- until the sealer has run, the rows are not checked: the documented window
savepoint tamper;
set local session_replication_role = replica;   -- superuser: guard triggers off
update audit.events set details = '{"n": 99}' where id = (select id from ids where label = 'a3');
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'), null,
  'an edit of a row not sealed yet goes unnoticed (rows are checked from their seal on)');
rollback to savepoint tamper;

-- audit.seal() seals finished transactions only: this one is still open
set local role service_role;
do $$
begin
  perform audit.seal();  -- seals whatever finished before this test began
  perform set_config('kazi_test.seal_again', audit.seal()::text, true);
end;
$$;
reset role;
select is((select count(*)::int from audit.seals
            where event_ids && array(select e.id from audit.events as e where e.tx = pg_current_xact_id())), 0,
  'audit.seal() (as service_role) does not seal the rows of a transaction still open');
select ok((select sealer.sealed_below <= pg_current_xact_id() from audit.sealer),
  'the sealer''s mark stops at or before this open transaction');
select is(current_setting('kazi_test.seal_again')::int, 0, 'audit.seal() run again at once has nothing to seal: 0');

-- seal this transaction's rows, as audit.seal() does once it has finished
select is(audit.seal_range(pg_current_xact_id(), (pg_current_xact_id()::text::bigint + 1)::text::xid8), 10008,
  'sealing this transaction takes its 10,008 rows (5 of tenant A, 1 of B, 1 of the platform, 10,001 of C)');
select is((select count(*)::int from audit.seals where chain_key = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc'), 2,
  'tenant C''s 10,001 rows (consecutive ids) form two seals');
select ok((select bool_and(cardinality(s.event_ids) <= 10000
                           and s.event_ids[1] / 10000 = s.event_ids[cardinality(s.event_ids)] / 10000)
             from audit.seals as s
            where s.chain_key in ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc')),
  'each seal holds rows of one block of 10,000 ids');
select ok((select s1.prev_hash is null and s2.prev_hash = s1.hash
             from audit.seals as s1 join audit.seals as s2 on s2.chain_key = s1.chain_key and s2.seq = 2
            where s1.chain_key = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc' and s1.seq = 1),
  'the first seal of a chain has no prev_hash; the second links to it (its prev_hash is the first''s hash)');
select is((select count(*)::int from audit.seals as s
            where s.chain_key in ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc')
              and s.hash is distinct from sha256(coalesce(s.prev_hash, '\x'::bytea)
                                                 || (select string_agg(u.h, '\x'::bytea order by u.o)
                                                       from unnest(s.row_hashes) with ordinality as u (h, o))
                                                 || audit.seal_times(s.first_at, s.last_at))), 0,
  'each seal''s hash is sha256(prev_hash || its row hashes in order || its first and last times)');
select results_eq($$select s.chain_key, array_agg(u.id order by s.seq, u.o) from audit.seals as s
                     cross join lateral unnest(s.event_ids) with ordinality as u (id, o)
                    where s.chain_key in ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc')
                    group by s.chain_key order by s.chain_key$$,
  $$select e.tenant_id, array_agg(e.id order by e.id) from audit.events as e
     where e.tenant_id in ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc')
     group by e.tenant_id order by e.tenant_id$$,
  'the seals of tenants A and C, in order, name every row of the tenant once, in id order');
select ok(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') is null
          and audit.verify_chain('cccccccc-cccc-4ccc-8ccc-cccccccccccc') is null,
  'the sealed chains of tenants A and C verify');
select ok(audit.verify_chain('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') is null and audit.verify_chain(null) is null,
  'tenant B''s chain and the platform chain (tenant null) verify');

-- tampering with rows, each case undone by a savepoint
set local session_replication_role = replica;   -- superuser: guard triggers off

savepoint tamper;
update audit.events set details = '{"n": 99}' where id = (select id from ids where label = 'a3');
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'),
  ((select id from ids where label = 'a3'), 'altered',
   format('seal %s: its content does not match its hash', pg_temp.seal_of((select id from ids where label = 'a3'))))::audit.chain_fault,
  'an edited row is reported as altered, by id');
rollback to savepoint tamper;

savepoint tamper;
update audit.events set occurred_at = occurred_at - interval '1 hour' where id = (select id from ids where label = 'a2');
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'),
  ((select id from ids where label = 'a2'), 'altered',
   format('seal %s: its content does not match its hash', pg_temp.seal_of((select id from ids where label = 'a2'))))::audit.chain_fault,
  'a back-dated row is reported as altered, by id');
rollback to savepoint tamper;

savepoint tamper;
delete from audit.events where id = (select id from ids where label = 'a3');
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'),
  ((select id from ids where label = 'a3'), 'removed',
   format('seal %s: the row is gone', pg_temp.seal_of((select id from ids where label = 'a3'))))::audit.chain_fault,
  'a deleted row is reported as removed, naming its id');
rollback to savepoint tamper;

insert into ids select 'c' || resource_id, id from audit.events
 where resource_type = 'verify_probe' and resource_id in ('1', '10001');
savepoint tamper;
delete from audit.events where id = (select id from ids where label = 'c10001');
select is(audit.verify_chain('cccccccc-cccc-4ccc-8ccc-cccccccccccc'),
  ((select id from ids where label = 'c10001'), 'removed', 'seal 2: the row is gone')::audit.chain_fault,
  'a row deleted from a multi-row statement, in the second seal, is reported as removed');
rollback to savepoint tamper;

savepoint tamper;
update audit.events set tenant_id = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb' where id = (select id from ids where label = 'a4');
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'),
  ((select id from ids where label = 'a4'), 'removed',
   format('seal %s: the row is gone', pg_temp.seal_of((select id from ids where label = 'a4'))))::audit.chain_fault,
  'a row moved to another tenant is reported as removed from the chain it left');
rollback to savepoint tamper;

-- rows inserted into the sealed past: once the sealer's mark is past this
-- transaction (as after its commit and the next audit.seal()), every row of a
-- transaction below the mark must be in exactly one seal
savepoint tamper;
update audit.sealer set sealed_below = (pg_current_xact_id()::text::bigint + 1)::text::xid8;
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'), null,
  'with the sealer''s mark past this transaction, its sealed rows still verify');
with forged as (
  insert into audit.events (occurred_at, tenant_id, action, outcome, details, tx)
  values (now() - interval '1 minute', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'forged', 'success', '{}', '3')
  returning id)
insert into ids select 'forged', id from forged;
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'),
  ((select id from ids where label = 'forged'), 'out_of_order', 'the row is not in the seal of its transaction')::audit.chain_fault,
  'a forged row of an old, sealed transaction (inserted into the past) is reported as out of order');
rollback to savepoint tamper;

-- a forged row naming a transaction that has not started would never be
-- sealed: it is reported at once, sealer's mark or not
savepoint tamper;
with forged as (
  insert into audit.events (occurred_at, tenant_id, action, outcome, details, tx)
  values (now() - interval '2 days', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'forged', 'success', '{}', '999999999999')
  returning id)
insert into ids select 'future', id from forged;
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'),
  ((select id from ids where label = 'future'), 'out_of_order', 'the row names a transaction that has not started')::audit.chain_fault,
  'a forged row with a future transaction id is reported as out of order');
rollback to savepoint tamper;

savepoint tamper;
update audit.sealer set sealed_below = (pg_current_xact_id()::text::bigint + 1)::text::xid8;
insert into ids values ('c seal 2', pg_temp.first_of('cccccccc-cccc-4ccc-8ccc-cccccccccccc', 2));
delete from audit.seals where chain_key = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc' and seq = 2;
select is(audit.verify_chain('cccccccc-cccc-4ccc-8ccc-cccccccccccc'),
  ((select id from ids where label = 'c seal 2'), 'out_of_order', 'the row is not in the seal of its transaction')::audit.chain_fault,
  'the last seal deleted: its rows, of a sealed transaction, are named by no seal');
rollback to savepoint tamper;

savepoint tamper;
update audit.sealer set sealed_below = (pg_current_xact_id()::text::bigint + 1)::text::xid8;
select is(audit.seal_range(pg_current_xact_id(), (pg_current_xact_id()::text::bigint + 1)::text::xid8), 10008,
  'sealing the same transaction a second time appends its rows again');
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'),
  ((select id from ids where label = 'a1'), 'out_of_order', 'the row is named by 2 seals')::audit.chain_fault,
  'rows named by two seals are reported as out of order');
rollback to savepoint tamper;

-- tampering with seals
savepoint tamper;
update audit.seals set hash = sha256('forged'::bytea) where chain_key = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' and seq = 1;
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'),
  ((select id from ids where label = 'a1'), 'altered', 'seal 1: its hash or its link to the previous seal does not match')::audit.chain_fault,
  'an edited seal hash is reported as altered, at the seal''s first row');
rollback to savepoint tamper;

savepoint tamper;
update audit.seals set row_hashes[1] = sha256('forged'::bytea) where chain_key = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' and seq = 1;
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'),
  ((select id from ids where label = 'a1'), 'altered', 'seal 1: its hash or its link to the previous seal does not match')::audit.chain_fault,
  'an edited row hash in a seal is reported as altered (the seal''s hash no longer matches)');
rollback to savepoint tamper;

savepoint tamper;
-- an attacker edits a row, puts its new hash in the seal and re-hashes the seal
update audit.events set old_values = '{"id": 1, "tenant_id": "forged"}' where id = (select id from ids where label = 'c1');
update audit.seals as s set row_hashes[array_position(s.event_ids, (select id from ids where label = 'c1'))]
                            = pg_temp.row_hash((select id from ids where label = 'c1'))
 where s.chain_key = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc' and s.seq = 1;
update audit.seals as s set hash = sha256(coalesce(s.prev_hash, '\x'::bytea)
                                          || (select string_agg(u.h, '\x'::bytea order by u.o)
                                                from unnest(s.row_hashes) with ordinality as u (h, o)))
 where s.chain_key = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc' and s.seq = 1;
select is(audit.verify_chain('cccccccc-cccc-4ccc-8ccc-cccccccccccc'),
  (pg_temp.first_of('cccccccc-cccc-4ccc-8ccc-cccccccccccc', 2), 'altered',
   'seal 2: its hash or its link to the previous seal does not match')::audit.chain_fault,
  'a row edit covered by a re-hashed seal breaks the next seal''s link');
rollback to savepoint tamper;

savepoint tamper;
-- rows deleted, and their seal's times moved before the retention cutoff
-- (the oldest partition), where a missing row would be excused as purged
delete from audit.events where id = (select id from ids where label = 'c1');
update audit.seals set first_at = '2001-01-01', last_at = '2001-01-31'
 where chain_key = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc' and seq = 1;
select is(audit.verify_chain('cccccccc-cccc-4ccc-8ccc-cccccccccccc'),
  (pg_temp.first_of('cccccccc-cccc-4ccc-8ccc-cccccccccccc', 1), 'altered',
   'seal 1: its hash or its link to the previous seal does not match')::audit.chain_fault,
  'a seal whose times were moved back to excuse a deleted row is reported as altered');
rollback to savepoint tamper;

savepoint tamper;
-- a seal made before its times were hashed (rows only) still verifies
update audit.seals as s set hash = sha256(coalesce(s.prev_hash, '\x'::bytea)
                                          || (select string_agg(u.h, '\x'::bytea order by u.o)
                                                from unnest(s.row_hashes) with ordinality as u (h, o)))
 where s.chain_key = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
   and s.seq = (select max(seq) from audit.seals where chain_key = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'), null,
  'a seal hashed the earlier way (its rows only) still verifies');
rollback to savepoint tamper;

savepoint tamper;
delete from audit.seals where chain_key = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc' and seq = 1;
select is(audit.verify_chain('cccccccc-cccc-4ccc-8ccc-cccccccccccc'),
  (pg_temp.first_of('cccccccc-cccc-4ccc-8ccc-cccccccccccc', 2), 'removed', 'seal 2: 1 seal(s) missing before it')::audit.chain_fault,
  'a deleted seal is reported as removed, at the next seal');
rollback to savepoint tamper;

-- tenants are separate chains: tampering with A does not affect B
savepoint tamper;
update audit.events set action = 'x' where id = (select id from ids where label = 'a1');
update audit.seals set hash = sha256('forged'::bytea) where chain_key = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' and seq = 1;
select ok(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') is not null
          and audit.verify_chain('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') is null,
  'tenant B still verifies when A''s rows and seals were tampered with');
rollback to savepoint tamper;

set local session_replication_role = origin;

-- the untouched chains still verify after all the undone tampering
select ok(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') is null
          and audit.verify_chain('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') is null
          and audit.verify_chain('cccccccc-cccc-4ccc-8ccc-cccccccccccc') is null,
  'every case undone, the chains verify again');

-- who may seal and verify
select ok(has_function_privilege('service_role', 'audit.verify_chain(uuid)', 'execute')
          and not has_function_privilege('authenticated', 'audit.verify_chain(uuid)', 'execute')
          and not has_function_privilege('anon', 'audit.verify_chain(uuid)', 'execute'),
  'only service_role may run verify_chain');
select ok(has_function_privilege('service_role', 'audit.seal()', 'execute')
          and not has_function_privilege('authenticated', 'audit.seal()', 'execute')
          and not has_function_privilege('anon', 'audit.seal()', 'execute'),
  'only service_role may run audit.seal()');
select ok(not has_function_privilege('service_role', 'audit.seal_range(xid8, xid8)', 'execute')
          and not has_function_privilege('authenticated', 'audit.seal_range(xid8, xid8)', 'execute')
          and not has_function_privilege('anon', 'audit.seal_range(xid8, xid8)', 'execute')
          and not has_function_privilege('service_role', 'audit.event_hash_sql(text)', 'execute'),
  'audit.seal_range and audit.event_hash_sql are internal: no API role may run them');
set local role authenticated;
select throws_ok('select audit.seal()', '42501', null, 'authenticated cannot run audit.seal()');
reset role;

select * from finish();
rollback;
