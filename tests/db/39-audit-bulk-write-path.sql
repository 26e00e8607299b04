-- The set-based write path (statements of two rows or more, generated per
-- table by audit.change_sql) writes the rows the one-row path would: every
-- row_hash equals audit.event_hash of the stored content, chains verify,
-- updates record exactly the changed columns (compared as jsonb for types
-- without a plain equality, such as json), protected columns are redacted,
-- and a changed primary key records the old and the new image.
begin;
select plan(14);

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

select is((select count(*)::int from written where action = 'row.insert'), 12, 'a 12-row insert writes 12 rows');
select is((select count(*)::int from written where action = 'row.update'), 6 + 4,
  'six changed rows, nothing for updated_at alone, and two rows for each of two changed keys');
select is((select count(*)::int from written where action = 'row.delete'), 2 + 2, 'a four-row delete writes four rows');
select is((select count(*)::int from written
            where row_hash is distinct from audit.event_hash(id, occurred_at, tenant_id, actor_id, actor_role, action,
                    resource_type, resource_id, ip_address, user_agent, request_id, outcome, changed_columns,
                    old_values, new_values, details, chain_lane, chain_seq, link_size)), 0,
  'every row_hash is audit.event_hash of the stored row');
select is(audit.verify_chain('c3c3c3c3-0000-4000-8000-000000000000'), null, 'the tenant chain verifies');
select is(audit.verify_chain(null), null, 'the platform chain (rows without a tenant) verifies');
select is((select count(distinct (chain_seq, hash))::int from written where action = 'row.insert'
            and tenant_id = 'c3c3c3c3-0000-4000-8000-000000000000'), 1,
  'the tenant rows of one statement form one link');

select results_eq($$select changed_columns, old_values, new_values from written
                    where action = 'row.update' and resource_id = '1'$$,
  $$values (array['name', 'phone_ciphertext'], '{"name": "n1", "phone_ciphertext": "[redacted]"}'::jsonb,
            '{"name": "n1!", "phone_ciphertext": "[redacted]"}'::jsonb)$$,
  'an update records exactly the changed columns, protected ones redacted (json rewritten with the same value is no change)');
select is((select new_values -> 'phone_ciphertext' from written where action = 'row.insert' and resource_id = '2'),
  '"[redacted]"'::jsonb, 'an inserted protected column is redacted');
select is((select new_values ->> 'name' from written where action = 'row.insert' and resource_id = '2'), 'n2',
  'an inserted plain column is recorded');
select is((select changed_columns from written where action = 'row.insert' limit 1),
  array['id', 'meta', 'name', 'phone_ciphertext', 'tags', 'tenant_id', 'updated_at'], 'an insert lists every column');
select is((select count(*)::int from written where action = 'row.update' and resource_id in ('107', '108')
            and old_values ->> 'id' is null and new_values ->> 'name' in ('n7', 'n8')), 2,
  'a changed key records the new image under the new id');
select is((select count(*)::int from written where action = 'row.delete' and old_values ->> 'phone_ciphertext' = '[redacted]'), 4,
  'deleted rows are redacted');
-- (the hashes are left out: their hex digits may spell beef by chance)
select is((select count(*)::int from written as w
            where (pg_catalog.to_jsonb(w) - 'hash' - 'prev_hash' - 'row_hash')::text ~* '(c0ffee|beef)'), 0,
  'no ciphertext appears in any audit row');

select * from finish();
rollback;
