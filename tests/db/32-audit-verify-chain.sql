-- Tamper evidence: audit.verify_chain(tenant) returns null for an intact chain
-- and names the first row a superuser altered, removed or inserted out of
-- order (with the guard triggers switched off inside this transaction).
-- Also: the lane head is written at commit (simulated with SET CONSTRAINTS
-- IMMEDIATE and a fresh transaction state), and tenants have separate chains.
begin;
select plan(18);

create temporary table ids (n int primary key, id bigint);
insert into ids
select n, audit.record_event('test.chain', tenant_id => 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
                             resource_id => n::text, details => jsonb_build_object('n', n))
  from generate_series(1, 5) as n;
select audit.record_event('test.chain', tenant_id => 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb');
select audit.record_event('test.chain');

select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'), null, 'an untouched tenant chain verifies');
select is(audit.verify_chain(null), null, 'the platform chain (tenant null) verifies');

-- the lane head is written once, at commit
set constraints all immediate;
select is((select last_seq from audit.chain_heads where chain_key = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'), 5::bigint,
  'at commit the lane head records the last position');
select is((select last_hash from audit.chain_heads where chain_key = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'),
          (select hash from audit.events where id = (select id from ids where n = 5)),
  'at commit the lane head records the last hash');
set constraints all deferred;
-- a new transaction starts from the head
select set_config('audit.chain_state', '', true);
insert into ids values (6, audit.record_event('test.chain', tenant_id => 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'));
select is((select chain_seq from audit.events where id = (select id from ids where n = 6)), 6::bigint,
  'the next transaction continues the chain at the next position');
set constraints all immediate;
set constraints all deferred;
select is((select last_seq from audit.chain_heads where chain_key = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'), 6::bigint,
  'an early flush is followed by another one for later rows');
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'), null, 'the chain spanning transactions verifies');

-- tampering, each case undone by a savepoint
set local session_replication_role = replica;   -- superuser: guard triggers off

savepoint tamper;
update audit.events set details = '{"n": 99}' where id = (select id from ids where n = 3);
select is(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'),
  ((select id from ids where n = 3), 'altered', 'lane ' || (select chain_lane from audit.events where id = (select id from ids where n = 3))
     || ' position 3: content does not match its hash')::audit.chain_fault,
  'an edited row is reported as altered, by id');
rollback to savepoint tamper;

savepoint tamper;
update audit.events set occurred_at = occurred_at - interval '1 hour' where id = (select id from ids where n = 2);
select is((audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')).event_id, (select id from ids where n = 2),
  'a back-dated row is reported');
rollback to savepoint tamper;

savepoint tamper;
delete from audit.events where id = (select id from ids where n = 3);
select is((audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')).event_id, (select id from ids where n = 4),
  'a deleted row is reported at the row that follows the gap');
select is((audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')).problem, 'removed', 'the problem is removed');
rollback to savepoint tamper;

savepoint tamper;
delete from audit.events where id = (select id from ids where n = 6);
select is((audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')).problem, 'removed',
  'deleting the newest row is reported (the lane head is ahead of the rows)');
rollback to savepoint tamper;

savepoint tamper;
-- a copy of row 2 re-inserted later (replayed)
insert into audit.events (id, occurred_at, tenant_id, action, outcome, details, chain_lane, chain_seq, link_size, prev_hash, hash, row_hash)
select nextval('audit.events_id_seq'), occurred_at, tenant_id, action, outcome, details, chain_lane, chain_seq, link_size, prev_hash, hash, row_hash
  from audit.events where id = (select id from ids where n = 2);
select is((audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')).problem, 'out_of_order',
  'a replayed row is reported as out of order');
rollback to savepoint tamper;

savepoint tamper;
-- swap the positions of rows 2 and 3 and re-hash them: the links break
update audit.events as e set chain_seq = case e.chain_seq when 2 then 3 else 2 end
 where e.id in (select id from ids where n in (2, 3));
select isnt(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'), null, 'reordered rows are reported');
rollback to savepoint tamper;

savepoint tamper;
-- a forged row with a correct-looking hash appended behind the head's back
insert into audit.events (id, occurred_at, tenant_id, action, outcome, details, chain_lane, chain_seq, link_size, prev_hash, hash, row_hash)
select x.id, x.at, x.tenant_id, 'forged', 'success', '{}', x.chain_lane, 7, 1, x.prev,
       sha256(x.prev || x.rh), x.rh
  from (select e.*, nextval('audit.events_id_seq') as id2 from audit.events as e where e.id = (select id from ids where n = 6)) as e0
  cross join lateral (select e0.id2 as id, now() as at, e0.tenant_id, e0.chain_lane, e0.hash as prev,
                             audit.event_hash(e0.id2, now(), e0.tenant_id, null, null, 'forged', null, null, null, null, null,
                                              'success', null, null, null, '{}', e0.chain_lane, 7, 1) as rh) as x;
select is((audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')).problem, 'out_of_order',
  'a row appended without going through the head is reported');
rollback to savepoint tamper;

savepoint tamper;
-- one row removed from a link written by one multi-row statement
set local session_replication_role = origin;
create table public.verify_probe (id int primary key, tenant_id uuid);
select audit.track('public.verify_probe');
insert into public.verify_probe select g, 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' from generate_series(1, 4) as g;
set local session_replication_role = replica;
delete from audit.events where resource_type = 'verify_probe' and resource_id = '3';
select is((audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa')).problem, 'removed',
  'a row deleted from a multi-row link is reported as removed');
rollback to savepoint tamper;

set local session_replication_role = origin;

-- tenants are separate chains: tampering with A does not affect B
savepoint tamper;
set local session_replication_role = replica;
update audit.events set action = 'x' where id = (select id from ids where n = 1);
set local session_replication_role = origin;
select is(audit.verify_chain('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'), null, 'tenant B still verifies when A was tampered with');
rollback to savepoint tamper;

-- who may verify
select ok(has_function_privilege('service_role', 'audit.verify_chain(uuid)', 'execute')
          and not has_function_privilege('authenticated', 'audit.verify_chain(uuid)', 'execute')
          and not has_function_privilege('anon', 'audit.verify_chain(uuid)', 'execute'),
  'only service_role may run verify_chain');

select * from finish();
rollback;
