-- Monthly partitions and retention: ensure_partitions creates the coming
-- months (guarded, RLS on), a default partition catches anything else,
-- drop_partitions_older_than drops whole expired months, keeps the surviving
-- chain verifiable (anchor per lane) and records the purge.
begin;
select plan(14);

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

-- an old month holding the first two links of tenant T's only lane (a
-- superuser writes them with valid hashes, as if written back then)
create table audit.events_2019_01 partition of audit.events
  for values from ('2019-01-01 00:00:00+00') to ('2019-02-01 00:00:00+00');
alter table audit.events_2019_01 enable row level security;
insert into audit.chain_heads (chain_key, lane, last_seq, last_hash) values ('cccccccc-0000-4000-8000-000000000000', 7, 0, null);
do $$
declare
  v_prev bytea;
  v_id bigint;
  v_at timestamptz;
begin
  for i in 1..2 loop
    v_id := nextval('audit.events_id_seq');
    v_at := timestamptz '2019-01-15 10:00:00+00' + make_interval(mins => i);
    insert into audit.events (id, occurred_at, tenant_id, action, outcome, details, chain_lane, chain_seq, link_size,
                              prev_hash, hash, row_hash)
    select v_id, v_at, 'cccccccc-0000-4000-8000-000000000000', 'test.old', 'success', '{}', 7, i, 1, v_prev,
           sha256(coalesce(v_prev, '\x'::bytea) || x.rh), x.rh
      from (select audit.event_hash(v_id, v_at, 'cccccccc-0000-4000-8000-000000000000', null, null, 'test.old', null, null,
                                    null, null, null, 'success', null, null, null, '{}', 7, i, 1) as rh) as x;
    select hash into v_prev from audit.events where id = v_id;
  end loop;
  update audit.chain_heads set last_seq = 2, last_hash = v_prev where chain_key = 'cccccccc-0000-4000-8000-000000000000';
end;
$$;
-- this month: the lane goes on
select audit.record_event('test.new', tenant_id => 'cccccccc-0000-4000-8000-000000000000');
select is((select chain_seq from audit.events where action = 'test.new'), 3::bigint, 'new events continue the old lane');
select is(audit.verify_chain('cccccccc-0000-4000-8000-000000000000'), null, 'before retention the chain verifies');

select is(audit.drop_partitions_older_than(interval '5 years'), 1, 'the 2019 month is older than 5 years and is dropped');
select ok(to_regclass('audit.events_2019_01') is null, 'its partition is gone');
select is(audit.verify_chain('cccccccc-0000-4000-8000-000000000000'), null,
  'the surviving chain still verifies from the lane anchor');
select is((select details ->> 'partitions' from audit.events where action = 'audit.retention_purge'), '["events_2019_01"]',
  'the purge itself is an audit event');

select * from finish();
rollback;
