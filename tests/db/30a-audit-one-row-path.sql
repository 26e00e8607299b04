-- The one-row write path (20261126003500_audit_faster_writes, inline in
-- audit.row_change): a one-row insert or delete records every current column
-- (added, dropped and renamed columns at once), protected ones redacted, with
-- the request context; one-row updates record exactly the changed columns,
-- redacted. Sealed (audit.seal_range over this transaction), the tenant's
-- seals name each of its rows once in id order, each row's hash is sha256 of
-- its canonical content (as audit.event_hash_sql builds it; pinned here, since
-- a change would break every existing seal) and the chain verifies.
-- The column list and redaction marks come from the trigger arguments
-- audit.track writes (20261127000200_audit_track_column_catalog) while the
-- table still has those columns, from the catalog once it changed, and from
-- the catalog for triggers made before (primary key columns as arguments).
begin;
select plan(20);

create table public.cache_probe (
  id integer primary key,
  tenant_id uuid,
  name text,
  phone_ciphertext bytea,
  updated_at timestamptz not null default now()
);
select audit.track('public.cache_probe');
select is((select pg_get_triggerdef(t.oid) from pg_trigger as t where t.tgname = 'cache_probe_audit_insert'),
  $$CREATE TRIGGER cache_probe_audit_insert AFTER INSERT ON public.cache_probe REFERENCING NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION audit.row_change('{id}', '{id,name,phone_ciphertext,tenant_id,updated_at}', '{phone_ciphertext}', 'flat')$$,
  'audit.track passes the primary key, every column in name order, the protected columns and that no column holds JSON objects');
select set_config('request.jwt.claims', '{"sub":"22222222-2222-4222-8222-222222222222","role":"authenticated"}', true);
select set_config('request.headers', '{"x-forwarded-for":"198.51.100.7","user-agent":"cache probe","x-request-id":"req-cache"}', true);

insert into public.cache_probe (id, tenant_id, name, phone_ciphertext) values (1, 'c4c4c4c4-0000-4000-8000-000000000000', 'one', '\x01');
select results_eq($$select audit.event_changed_columns(e), new_values - 'updated_at', actor_id::text, host(ip_address), user_agent, request_id
                      from audit.events as e where resource_type = 'cache_probe' and resource_id = '1'$$,
  $$values (array['id', 'name', 'phone_ciphertext', 'tenant_id', 'updated_at'],
            '{"id": 1, "name": "one", "tenant_id": "c4c4c4c4-0000-4000-8000-000000000000", "phone_ciphertext": "[redacted]"}'::jsonb,
            '22222222-2222-4222-8222-222222222222', '198.51.100.7', 'cache probe', 'req-cache')$$,
  'a one-row insert records every column, the protected one redacted, and the request context');
alter table public.cache_probe add column api_token text, add column note text;
insert into public.cache_probe (id, tenant_id, name, api_token, note) values (2, 'c4c4c4c4-0000-4000-8000-000000000000', 'two', 's3cr3t', 'n');
select is((select audit.event_changed_columns(e) from audit.events as e where resource_type = 'cache_probe' and resource_id = '2'),
  array['api_token', 'id', 'name', 'note', 'tenant_id', 'updated_at'], 'added columns are recorded at once (phone_ciphertext, null, is left out)');
select is((select new_values -> 'api_token' from audit.events where resource_type = 'cache_probe' and resource_id = '2'),
  '"[redacted]"'::jsonb, 'an added protected column is redacted');

insert into public.cache_probe (id, tenant_id, name, api_token) values (3, 'c4c4c4c4-0000-4000-8000-000000000000', 'three', 'x');
alter table public.cache_probe drop column note;
alter table public.cache_probe rename column name to full_name;
delete from public.cache_probe where id = 3;
select results_eq($$select audit.event_changed_columns(e), old_values -> 'api_token', old_values ->> 'full_name'
                      from audit.events as e where resource_type = 'cache_probe' and resource_id = '3' and action = 'row.delete'$$,
  $$values (array['api_token', 'full_name', 'id', 'tenant_id', 'updated_at'], '"[redacted]"'::jsonb, 'three')$$,
  'a one-row delete after dropping and renaming columns records the current columns');

update public.cache_probe set phone_ciphertext = '\x02', full_name = 'uno' where id = 1;
select results_eq($$select coalesce(changed_columns, audit.event_changed_columns(e)), old_values, new_values
                      from audit.events as e where resource_type = 'cache_probe' and resource_id = '1' and action = 'row.update'$$,
  $$values (array['full_name', 'phone_ciphertext'], '{"full_name": "one", "phone_ciphertext": "[redacted]"}'::jsonb,
            '{"full_name": "uno", "phone_ciphertext": "[redacted]"}'::jsonb)$$,
  'a one-row update records exactly the changed columns, protected ones redacted on both sides');
update public.cache_probe set updated_at = updated_at + interval '1 minute' where id = 1;
select is((select count(*)::int from audit.events where resource_type = 'cache_probe' and action = 'row.update'), 1,
  'an update of updated_at alone writes no event');
update public.cache_probe set id = 10 where id = 2;
select is((select count(*)::int from audit.events where resource_type = 'cache_probe' and action = 'row.update'
            and resource_id in ('2', '10')), 2, 'a one-row update of the primary key records the old and the new image');

-- tracked again after the changes: the arguments hold the current columns
select audit.track('public.cache_probe');
insert into public.cache_probe (id, tenant_id, full_name, api_token) values (4, 'c4c4c4c4-0000-4000-8000-000000000000', 'four', 'tok');
delete from public.cache_probe where id = 4;
select results_eq($$select action::text, audit.event_changed_columns(e), coalesce(new_values, old_values) - 'updated_at'
                      from audit.events as e where resource_type = 'cache_probe' and resource_id = '4' order by id$$,
  $$values ('row.insert', array['api_token', 'full_name', 'id', 'tenant_id', 'updated_at'],
            '{"id": 4, "full_name": "four", "tenant_id": "c4c4c4c4-0000-4000-8000-000000000000", "api_token": "[redacted]"}'::jsonb),
           ('row.delete', array['api_token', 'full_name', 'id', 'tenant_id', 'updated_at'],
            '{"id": 4, "full_name": "four", "tenant_id": "c4c4c4c4-0000-4000-8000-000000000000", "api_token": "[redacted]"}'::jsonb)$$,
  'after audit.track again, a one-row insert and delete record the current columns that hold a value, protected ones redacted');

-- a composite primary key, first under a trigger made before audit.track
-- passed the column catalog (the primary key columns, one per argument)
create table public.pair_probe (a integer, b text, tenant_id uuid, secret_note text, primary key (a, b));
create trigger pair_probe_audit_insert after insert on public.pair_probe
  referencing new table as audit_new for each statement execute function audit.row_change('a', 'b');
insert into public.pair_probe values (1, 'x', 'c4c4c4c4-0000-4000-8000-000000000000', 's');
select results_eq($$select resource_id, audit.event_changed_columns(e), new_values from audit.events as e where resource_type = 'pair_probe'$$,
  $$values ('1,x', array['a', 'b', 'secret_note', 'tenant_id'],
            '{"a": 1, "b": "x", "tenant_id": "c4c4c4c4-0000-4000-8000-000000000000", "secret_note": "[redacted]"}'::jsonb)$$,
  'a trigger with the primary key columns as arguments still records the row, redacted, named by its key');
select audit.track('public.pair_probe');
insert into public.pair_probe values (2, 'y', 'c4c4c4c4-0000-4000-8000-000000000000', 't');
update public.pair_probe set secret_note = 'u' where a = 2;
select results_eq($$select action::text, resource_id, audit.event_changed_columns(e), old_values, new_values
                      from audit.events as e where resource_type = 'pair_probe' and resource_id = '2,y' order by id$$,
  $$values ('row.insert', '2,y', array['a', 'b', 'secret_note', 'tenant_id'], null::jsonb,
            '{"a": 2, "b": "y", "tenant_id": "c4c4c4c4-0000-4000-8000-000000000000", "secret_note": "[redacted]"}'::jsonb),
           ('row.update', '2,y', array['secret_note'], '{"secret_note": "[redacted]"}'::jsonb, '{"secret_note": "[redacted]"}'::jsonb)$$,
  'tracked with its column catalog, a composite key names the row and a protected change is redacted');

select is((select count(*)::int from audit.events
            where resource_type in ('cache_probe', 'pair_probe') and changed_columns is not null), 0,
  'one-row inserts, updates and deletes store no column list (their images hold the columns)');

-- a table with a JSON column: only the image's own null keys are left out,
-- never the nulls inside a column's JSON
create table public.json_probe (id integer primary key, tenant_id uuid, meta jsonb, note text, api_token text);
select audit.track('public.json_probe');
select alike((select pg_get_triggerdef(t.oid) from pg_trigger as t where t.tgname = 'json_probe_audit_insert'),
  $$%'{api_token}', 'nested')$$, 'a table with a jsonb column is tracked as nested');
insert into public.json_probe values (1, 'c4c4c4c4-0000-4000-8000-000000000000', '{"a": null, "b": {"c": null}}', null, 'tok');
select is((select new_values from audit.events where resource_type = 'json_probe' and resource_id = '1'),
  '{"id": 1, "meta": {"a": null, "b": {"c": null}}, "tenant_id": "c4c4c4c4-0000-4000-8000-000000000000", "api_token": "[redacted]"}'::jsonb,
  'a one-row insert keeps the nulls inside a JSON value and leaves out the null column');
-- a type not built in may have a cast to json (an object, nulls and all): such a table is nested too
create type public.probe_mood as enum ('calm');
create table public.mood_probe (id integer primary key, mood public.probe_mood);
select audit.track('public.mood_probe');
select alike((select pg_get_triggerdef(t.oid) from pg_trigger as t where t.tgname = 'mood_probe_audit_insert'),
  $$%'{}', 'nested')$$, 'a table with a column of a type that is not built in is tracked as nested');

-- statements that touch no row: their image query finds none and nothing is written
create temp table rows_before on commit drop as select count(*) as n from audit.events where resource_type = 'cache_probe';
insert into public.cache_probe (id) select 99 where false;
update public.cache_probe set tenant_id = null where id = -1;
delete from public.cache_probe where id = -1;
select is((select count(*) from audit.events where resource_type = 'cache_probe'), (select n from rows_before),
  'an insert, update and delete of no row write no audit row');

-- seal this transaction's rows (the sealer only takes finished transactions)
select is(audit.seal_range(pg_current_xact_id(), (pg_current_xact_id()::text::bigint + 1)::text::xid8), 13,
  'sealing this transaction takes its 13 rows (9 of cache_probe, 3 of pair_probe, 1 of json_probe)');
select is((select array_agg(u.id order by s.seq, u.o) from audit.seals as s
             cross join lateral unnest(s.event_ids) with ordinality as u (id, o)
            where s.chain_key = 'c4c4c4c4-0000-4000-8000-000000000000'),
  (select array_agg(id order by id) from audit.events where tenant_id = 'c4c4c4c4-0000-4000-8000-000000000000'),
  'the tenant''s seals name each of its rows once, in id order');
select is((select count(*)::int
             from audit.seals as s
             cross join lateral unnest(s.event_ids, s.row_hashes) as u (id, row_hash)
             join audit.events as e on e.id = u.id
            where s.chain_key = 'c4c4c4c4-0000-4000-8000-000000000000'
              and u.row_hash = sha256(convert_to(
                    json_build_array(e.id, (extract(epoch from e.occurred_at) * 1000000)::bigint, e.tenant_id, e.actor_id,
                                     e.actor_role, e.action, e.resource_type, e.resource_id, e.ip_address::text, e.user_agent,
                                     e.request_id, e.outcome, e.changed_columns, e.details, e.tx::text)::text
                    || chr(30) || coalesce(e.old_values::text, 'null') || chr(30) || coalesce(e.new_values::text, 'null'), 'UTF8'))), 13,
  'every sealed row''s hash is sha256 of its canonical content (fields as a JSON array, then old and new values)');
select is(audit.verify_chain('c4c4c4c4-0000-4000-8000-000000000000'), null, 'the tenant chain verifies');

select * from finish();
rollback;
