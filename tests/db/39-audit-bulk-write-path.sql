-- The set-based write path (statements of two rows or more, generated per
-- table by audit.change_sql) writes the rows the one-row path would: plain
-- rows stamped with the writing transaction (the hash chain is audit.seal's
-- work). Once sealed, each row's hash in its seal is audit.event_hash_sql of
-- its stored content and the chains verify. Updates record exactly the
-- changed columns (compared as jsonb for types without a plain equality,
-- such as json), protected columns are redacted, and a changed primary key
-- records the old and the new image. A bulk statement of more than 10,000
-- rows is sealed in several seals, one per block of 10,000 ids, in id order,
-- that link and verify, and an edit deep in it is named.
begin;
select plan(26);

create table public.bulk_probe (
  id integer primary key,
  tenant_id uuid,
  name text,
  phone_ciphertext bytea,
  meta json,
  tags text[],
  updated_at timestamptz not null default now()
);
select audit.track('public.bulk_probe');
-- seals split the ids in blocks of 10,000: start the first statements at the
-- start of a block (sequences are not transactional: ids only move forward)
select setval('audit.events_id_seq', (nextval('audit.events_id_seq') / 10000 + 1) * 10000) is not null as aligned;
select set_config('request.jwt.claims', '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}', true);
select set_config('request.headers', '{"x-forwarded-for":"203.0.113.9","user-agent":"bulk \"probe\"","x-request-id":"req-bulk"}', true);

insert into public.bulk_probe (id, tenant_id, name, phone_ciphertext, meta, tags)
select g, case when g % 4 = 0 then null else 'c3c3c3c3-0000-4000-8000-000000000000'::uuid end,
       'n' || g, '\x01c0ffee', '{"a": 1}', array['x']
  from generate_series(1, 12) as g;
-- name and phone change; meta is rewritten with the same value (json has no =)
update public.bulk_probe set name = name || '!', phone_ciphertext = '\x01beef', meta = '{"a": 1}' where id <= 6;
update public.bulk_probe set updated_at = updated_at + interval '1 minute';
update public.bulk_probe set id = id + 100 where id in (7, 8);
delete from public.bulk_probe where id > 10;

create temporary table written on commit drop as
  select e.* from audit.events as e where e.resource_type = 'bulk_probe' order by e.id;

-- one bulk statement of 20,001 rows for another tenant, its first id in the
-- middle of a block: ids 5,000 to 9,999 of one block, a whole block, then
-- 5,001 ids of the next
select setval('audit.events_id_seq', (nextval('audit.events_id_seq') / 10000 + 1) * 10000 + 4999) is not null as aligned;
insert into public.bulk_probe (id, tenant_id, name)
select 1000 + g, 'd4d4d4d4-0000-4000-8000-000000000000', 'b' || g from generate_series(1, 20001) as g;

-- a column left null is left out of a set-based image; nulls inside a JSON value stay
insert into public.bulk_probe (id, tenant_id, name, phone_ciphertext, meta)
values (50001, 'c3c3c3c3-0000-4000-8000-000000000000', null, null, '{"a": null}'),
       (50002, 'c3c3c3c3-0000-4000-8000-000000000000', 'n', '\x01c0ffee', '{"b": [null]}');
select results_eq($$select new_values - 'updated_at' from audit.events
                    where resource_type = 'bulk_probe' and resource_id in ('50001', '50002') order by resource_id$$,
  $$values ('{"id": 50001, "meta": {"a": null}, "tenant_id": "c3c3c3c3-0000-4000-8000-000000000000"}'::jsonb),
           ('{"id": 50002, "meta": {"b": [null]}, "name": "n", "tenant_id": "c3c3c3c3-0000-4000-8000-000000000000",
              "phone_ciphertext": "[redacted]"}'::jsonb)$$,
  'a set-based insert records the columns that hold a value, the nulls inside their JSON kept, protected ones redacted');

-- seal this transaction's rows (audit.seal() only seals finished transactions)
select is(audit.seal_range(pg_current_xact_id(), (pg_current_xact_id()::text::bigint + 1)::text::xid8),
  (select count(*)::int from audit.events where tx = pg_current_xact_id()), 'sealing this transaction seals every row it wrote');

select is((select count(*)::int from written where action = 'row.insert'), 12, 'a 12-row insert writes 12 rows');
select is((select count(*)::int from written where action = 'row.update'), 6 + 4,
  'six changed rows, nothing for updated_at alone, and two rows for each of two changed keys');
select is((select count(*)::int from written where action = 'row.delete'), 2 + 2, 'a four-row delete writes four rows');
select is((select count(*)::int from written where tx = pg_current_xact_id()), (select count(*)::int from written),
  'every row records the writing transaction');
select is((select array_agg(u.id order by u.id) from audit.seals as s cross join lateral unnest(s.event_ids) as u (id)
            where u.id in (select id from written)), (select array_agg(id order by id) from written),
  'every written row is named by exactly one seal');
select is_empty(format(
  $$select w.id from written as w
      join (select u.id, u.row_hash from audit.seals as s
              cross join lateral rows from (unnest(s.event_ids), unnest(s.row_hashes)) as u (id, row_hash)) as u on u.id = w.id
     where u.row_hash is distinct from %s$$, audit.event_hash_sql('w')),
  'every sealed row hash is audit.event_hash_sql of the stored row');
select is(audit.verify_chain('c3c3c3c3-0000-4000-8000-000000000000'), null, 'the tenant chain verifies');
select is(audit.verify_chain(null), null, 'the platform chain (rows without a tenant) verifies');
select is((select count(distinct s.seq)::int from written as w
             join audit.seals as s on s.chain_key = 'c3c3c3c3-0000-4000-8000-000000000000' and w.id = any (s.event_ids)
            where w.tenant_id = 'c3c3c3c3-0000-4000-8000-000000000000'), 1,
  'the tenant''s rows of one transaction, within one block of ids, are in one seal');

select results_eq($$select audit.event_changed_columns(e), e.old_values, e.new_values from written as w join audit.events as e on e.id = w.id
                    where w.action = 'row.update' and w.resource_id = '1'$$,
  $$values (array['name', 'phone_ciphertext'], '{"name": "n1", "phone_ciphertext": "[redacted]"}'::jsonb,
            '{"name": "n1!", "phone_ciphertext": "[redacted]"}'::jsonb)$$,
  'an update records exactly the changed columns, protected ones redacted (json rewritten with the same value is no change)');
select is((select new_values -> 'phone_ciphertext' from written where action = 'row.insert' and resource_id = '2'),
  '"[redacted]"'::jsonb, 'an inserted protected column is redacted');
select is((select new_values ->> 'name' from written where action = 'row.insert' and resource_id = '2'), 'n2',
  'an inserted plain column is recorded');
select is((select audit.event_changed_columns(e) from audit.events as e
            where e.id = (select min(id) from written where action = 'row.insert')),
  array['id', 'meta', 'name', 'phone_ciphertext', 'tags', 'tenant_id', 'updated_at'], 'an insert lists every column (the keys of its image)');
select is((select count(*)::int from written where changed_columns is not null), 0,
  'set-based inserts, updates and deletes store no column list');
select is((select count(*)::int from written where action = 'row.update' and resource_id in ('107', '108')
            and old_values ->> 'id' is null and new_values ->> 'name' in ('n7', 'n8')), 2,
  'a changed key records the new image under the new id');
select results_eq($$select e.resource_id, audit.event_changed_columns(e), e.old_values, e.new_values from written as w join audit.events as e on e.id = w.id
                    where w.action = 'row.update' and w.resource_id in ('7', '107') order by w.resource_id$$,
  $$values ('107', array['id', 'meta', 'name', 'phone_ciphertext', 'tags', 'tenant_id'],
            '{"id": null, "meta": null, "name": null, "tags": null, "tenant_id": null, "phone_ciphertext": "[redacted]"}'::jsonb,
            '{"id": 107, "meta": {"a": 1}, "name": "n7", "tags": ["x"], "tenant_id": "c3c3c3c3-0000-4000-8000-000000000000",
              "phone_ciphertext": "[redacted]"}'::jsonb),
           ('7', array['id', 'meta', 'name', 'phone_ciphertext', 'tags', 'tenant_id'],
            '{"id": 7, "meta": {"a": 1}, "name": "n7", "tags": ["x"], "tenant_id": "c3c3c3c3-0000-4000-8000-000000000000",
              "phone_ciphertext": "[redacted]"}'::jsonb,
            '{"id": null, "meta": null, "name": null, "tags": null, "tenant_id": null, "phone_ciphertext": "[redacted]"}'::jsonb)$$,
  'a row whose key changed has no partner: both its images record every column (updated_at aside)');
select is((select count(*)::int from written where action = 'row.delete' and old_values ->> 'phone_ciphertext' = '[redacted]'), 4,
  'deleted rows are redacted');
select is((select count(*)::int from written as w where pg_catalog.to_jsonb(w)::text ~* '(c0ffee|beef)'), 0,
  'no ciphertext appears in any audit row');

-- the 20,001-row statement: one seal per block of ids, in id order
select is((select count(*)::int from audit.events where tenant_id = 'd4d4d4d4-0000-4000-8000-000000000000'), 20001,
  'a 20,001-row insert writes 20,001 rows');
-- (the rows of one bulk statement share one occurred_at, so one month)
select results_eq(
  $$select seq, pg_catalog.cardinality(event_ids), event_ids[1] / 10000 = event_ids[pg_catalog.cardinality(event_ids)] / 10000
      from audit.seals where chain_key = 'd4d4d4d4-0000-4000-8000-000000000000' order by seq$$,
  $$values (1::bigint, 5000, true), (2, 10000, true), (3, 5001, true)$$,
  'the statement is sealed in three seals, one per block of 10,000 ids: the end of one block, a whole block, the start of the next');
select is((select array_agg(u.id order by s.seq, u.o) from audit.seals as s
             cross join lateral unnest(s.event_ids) with ordinality as u (id, o)
            where s.chain_key = 'd4d4d4d4-0000-4000-8000-000000000000'),
  (select array_agg(id order by id) from audit.events where tenant_id = 'd4d4d4d4-0000-4000-8000-000000000000'),
  'the seals name every row once, in id order');
select is((select bool_and(s.prev_hash is not distinct from p.hash
                           and s.hash = sha256(coalesce(s.prev_hash, '\x'::bytea)
                                               || (select string_agg(h, ''::bytea order by o) from unnest(s.row_hashes) with ordinality as r (h, o))
                                               || audit.seal_times(s.first_at, s.last_at)))
             from audit.seals as s
             left join audit.seals as p on p.chain_key = s.chain_key and p.seq = s.seq - 1
            where s.chain_key = 'd4d4d4d4-0000-4000-8000-000000000000'), true,
  'each seal links to the previous one and hashes its row hashes in order, then its times');
select is(audit.verify_chain('d4d4d4d4-0000-4000-8000-000000000000'), null, 'the bulk tenant''s chain verifies');

-- a superuser edits a row of the second seal: named, with its seal
set local session_replication_role = replica;
update audit.events set details = '{"forged": true}'
 where id = (select event_ids[5000] from audit.seals where chain_key = 'd4d4d4d4-0000-4000-8000-000000000000' and seq = 2);
set local session_replication_role = origin;
select is(audit.verify_chain('d4d4d4d4-0000-4000-8000-000000000000'),
  ((select event_ids[5000] from audit.seals where chain_key = 'd4d4d4d4-0000-4000-8000-000000000000' and seq = 2),
   'altered', 'seal 2: its content does not match its hash')::audit.chain_fault,
  'a row edited in the second seal is named');

select * from finish();
rollback;
