-- The generic row trigger: each insert, update and delete writes exactly one
-- expected audit row, with actor and request details from the PostgREST
-- settings, and protected columns redacted (changed, but never the value).
-- Every row records the transaction that wrote it (tx); sealing this
-- transaction's rows (audit.seal_range) gives each chain (tenant A, tenant B,
-- the platform) seals naming its rows once, in id order, and the chains verify.
begin;
select plan(44);

-- fixture: a tracked table shaped like a tenant table with protected columns
create table public.audit_probe (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  name text,
  kra_pin_ciphertext bytea,
  kra_pin_blind_index bytea,
  phone_ciphertext bytea,
  national_id_x bytea,
  updated_at timestamptz not null default now()
);
alter table public.audit_probe enable row level security;
create policy "anyone may use the probe" on public.audit_probe for all to authenticated using (true) with check (true);
grant all on public.audit_probe to authenticated;
select audit.track('public.audit_probe');

select has_trigger('public', 'audit_probe', 'audit_probe_audit_update', 'audit.track creates the trigger <table>_audit_update (and _insert, _delete, _truncate)');

-- act as a signed-in user through PostgREST
select set_config('request.jwt.claims',
  '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated"}', true);
select set_config('request.headers',
  '{"x-forwarded-for":"203.0.113.7, 10.0.0.2","user-agent":"probe-agent/1.0","x-request-id":"req-row-1"}', true);
set local role authenticated;

insert into public.audit_probe (id, tenant_id, name, kra_pin_ciphertext, kra_pin_blind_index, phone_ciphertext)
values ('22222222-2222-4222-8222-222222222222', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'Wanjiku',
        '\x01deadbeefcafe', '\xb1b2b3', '\x01feedface');
update public.audit_probe set name = 'Wanjiku M.', phone_ciphertext = '\x01c0ffee', updated_at = now() + interval '1 second';
update public.audit_probe set updated_at = now() + interval '2 seconds';
update public.audit_probe set name = name;
delete from public.audit_probe;
reset role;

create temporary table written on commit drop as
  select e.* from audit.events as e where e.resource_type = 'audit_probe' order by e.id;

select is((select count(*)::int from written), 3,
  'insert, one real update and delete write three rows; updates changing nothing (or only updated_at) write none');
select results_eq('select action::text from written order by id',
  array['row.insert', 'row.update', 'row.delete'], 'actions are row.insert, row.update, row.delete in order');

-- every row: tenant, actor, request details, outcome, resource id
select is((select count(*)::int from written where tenant_id = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'), 3, 'tenant_id comes from the row');
select is((select count(*)::int from written where actor_id = '11111111-1111-4111-8111-111111111111'), 3, 'actor_id comes from the JWT sub claim');
select is((select count(*)::int from written where actor_role = 'authenticated'), 3, 'actor_role comes from the JWT role claim');
select is((select count(*)::int from written where ip_address = '203.0.113.7'::inet), 3, 'ip_address is the first x-forwarded-for address');
select is((select count(*)::int from written where user_agent = 'probe-agent/1.0'), 3, 'user_agent comes from request.headers');
select is((select count(*)::int from written where request_id = 'req-row-1'), 3, 'request_id comes from x-request-id');
select is((select count(*)::int from written where outcome = 'success'), 3, 'row changes have outcome success');
select is((select count(*)::int from written where resource_id = '22222222-2222-4222-8222-222222222222'), 3, 'resource_id is the row id');

-- insert: the columns that hold a value, protected columns redacted
select is((select audit.event_changed_columns(e) from audit.events as e join written as w on w.id = e.id where w.action = 'row.insert'),
  array['id', 'kra_pin_blind_index', 'kra_pin_ciphertext', 'name', 'phone_ciphertext', 'tenant_id', 'updated_at'],
  'insert lists the columns it set (the keys of its image; national_id_x was null)');
select is((select changed_columns from written where action = 'row.insert'), null,
  'an insert stores no column list: its image holds the columns');
select ok((select not (new_values ? 'national_id_x') from written where action = 'row.insert'),
  'a protected column left null is not in the insert image (nothing to redact)');
select is((select old_values from written where action = 'row.insert'), null, 'insert has no old values');
select is((select new_values ->> 'name' from written where action = 'row.insert'), 'Wanjiku', 'insert records plain columns');
select is((select new_values -> 'kra_pin_ciphertext' from written where action = 'row.insert'), '"[redacted]"'::jsonb, 'kra_pin_ciphertext is redacted');
select is((select new_values -> 'kra_pin_blind_index' from written where action = 'row.insert'), '"[redacted]"'::jsonb, 'kra_pin_blind_index is redacted');
select is((select new_values -> 'phone_ciphertext' from written where action = 'row.insert'), '"[redacted]"'::jsonb, 'phone_ciphertext is redacted');

-- update: only what changed; a protected change is recorded, not its value
select is((select audit.event_changed_columns(e) from audit.events as e join written as w on w.id = e.id where w.action = 'row.update'),
  array['name', 'phone_ciphertext'], 'update lists exactly the changed columns (updated_at is not a change)');
select is((select changed_columns from written where action = 'row.update'), null,
  'an update stores no column list: its images hold the changed columns');
select is((select old_values from written where action = 'row.update'),
  '{"name": "Wanjiku", "phone_ciphertext": "[redacted]"}'::jsonb, 'update old values, redacted');
select is((select new_values from written where action = 'row.update'),
  '{"name": "Wanjiku M.", "phone_ciphertext": "[redacted]"}'::jsonb, 'update new values, redacted');

-- delete: the whole old row, redacted
select is((select new_values from written where action = 'row.delete'), null, 'delete has no new values');
select is((select old_values -> 'phone_ciphertext' from written where action = 'row.delete'), '"[redacted]"'::jsonb, 'delete redacts phone_ciphertext');
select is((select old_values ->> 'name' from written where action = 'row.delete'), 'Wanjiku M.', 'delete records the last plain values');

-- no ciphertext or blind index bytes anywhere in the audit rows
select is((select count(*)::int from written as w
            where w::text ~* '(deadbeefcafe|feedface|c0ffee|b1b2b3)'), 0,
  'no ciphertext or blind index appears in any audit row (hex)');
select is((select count(*)::int from written as w
            where w::text like any (array['%' || encode('\x01deadbeefcafe'::bytea, 'base64') || '%',
                                          '%' || encode('\x01feedface'::bytea, 'base64') || '%'])), 0,
  'no ciphertext appears in any audit row (base64)');

-- the rows carry no chain state: they record their transaction, the sealer chains them later
select is((select count(*)::int from written where tx = pg_current_xact_id()), 3,
  'each row records the transaction that wrote it (tx)');

-- without JWT claims (a migration, a cron job) the database role is the actor
select set_config('request.jwt.claims', '', true);
select set_config('request.headers', '', true);
insert into public.audit_probe (tenant_id, name) values ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'system row');
select is((select actor_role || '/' || coalesce(actor_id::text, 'none') || '/' || coalesce(ip_address::text, 'none')
             from audit.events where resource_type = 'audit_probe' order by id desc limit 1),
  'postgres/none/none', 'without claims the actor is the database user, with no address');

-- one statement, many rows: one audit row each, on its own tenant's chain
insert into public.audit_probe (tenant_id, name, national_id_x) values
  ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'bulk 1', null),
  ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'bulk 2', null),
  ('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'bulk 3', null);
select is((select count(*)::int from audit.events where new_values ->> 'name' like 'bulk %'), 3,
  'a three-row insert writes three audit rows');
select is((select array_agg(tenant_id::text order by new_values ->> 'name') from audit.events where new_values ->> 'name' like 'bulk %'),
  array['aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'],
  'each row names the tenant of its own row (two of A, one of B)');
select is((select count(distinct (occurred_at, tx))::int from audit.events where new_values ->> 'name' like 'bulk %'
            and tx = pg_current_xact_id()), 1,
  'the rows of one statement share its time and record this transaction');

-- multi-row update and delete take the set-based path: same row shapes
update public.audit_probe set name = name || '!', phone_ciphertext = '\x01beef'
 where name in ('bulk 1', 'bulk 2');
select results_eq($$select audit.event_changed_columns(e), old_values, new_values from audit.events as e
                    where action = 'row.update' and old_values ->> 'name' in ('bulk 1', 'bulk 2') order by old_values ->> 'name'$$,
  $$values (array['name', 'phone_ciphertext'], '{"name": "bulk 1", "phone_ciphertext": "[redacted]"}'::jsonb,
            '{"name": "bulk 1!", "phone_ciphertext": "[redacted]"}'::jsonb),
           (array['name', 'phone_ciphertext'], '{"name": "bulk 2", "phone_ciphertext": "[redacted]"}'::jsonb,
            '{"name": "bulk 2!", "phone_ciphertext": "[redacted]"}'::jsonb)$$,
  'a two-row update records each row''s changed columns, redacted');
select is((select array_agg(e.resource_id order by e.old_values ->> 'name') from audit.events as e
            where e.action = 'row.update' and e.old_values ->> 'name' in ('bulk 1', 'bulk 2')),
  (select array_agg(p.id::text order by p.name) from public.audit_probe as p where p.name in ('bulk 1!', 'bulk 2!')),
  'each of the two rows names its own row by id');
create temporary table before_touch as select count(*) as n from audit.events;
update public.audit_probe set updated_at = updated_at + interval '1 minute' where name like 'bulk%';
select is((select count(*) from audit.events) - (select n from before_touch), 0::bigint,
  'a multi-row update of updated_at alone writes nothing');
-- a changed primary key is recorded as the old and the new image
update public.audit_probe set id = '33333333-3333-4333-8333-333333333333' where name = 'bulk 3';
select is((select count(*)::int from audit.events where action = 'row.update'
            and (resource_id = '33333333-3333-4333-8333-333333333333' or old_values ->> 'name' = 'bulk 3')), 2,
  'an update of the primary key records the row under its old and its new id');
delete from public.audit_probe where name like 'bulk%';
select is((select count(*)::int from audit.events where action = 'row.delete' and old_values ->> 'name' like 'bulk%'), 3,
  'a three-row delete writes three rows');
select results_eq($$select old_values ->> 'name', old_values -> 'phone_ciphertext', old_values ?| array['kra_pin_ciphertext', 'national_id_x']
                      from audit.events where action = 'row.delete' and old_values ->> 'name' like 'bulk%' order by 1$$,
  $$values ('bulk 1!', '"[redacted]"'::jsonb, false), ('bulk 2!', '"[redacted]"'::jsonb, false), ('bulk 3', null, false)$$,
  'and redacts each protected column that held a value, leaving out those that were null');

-- a protected column set from nothing is recorded as changed, redacted
insert into public.audit_probe (tenant_id, name) values ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'late');
update public.audit_probe set kra_pin_ciphertext = '\x01aabbcc' where name = 'late';
select is((select jsonb_build_array(old_values -> 'kra_pin_ciphertext', new_values -> 'kra_pin_ciphertext')
             from audit.events where resource_type = 'audit_probe' order by id desc limit 1),
  '["[redacted]", "[redacted]"]'::jsonb, 'setting a protected column records that it changed, never the value');

-- truncate is recorded too
truncate public.audit_probe;
select is((select action || ':' || resource_type from audit.events order by id desc limit 1), 'table.truncate:audit_probe',
  'a truncate of a tracked table is recorded');

-- the sealer chains what this transaction wrote (a test runs in one
-- transaction, so it seals its own rows; audit.seal() only takes finished ones)
select is(audit.seal_range(pg_current_xact_id(), (pg_current_xact_id()::text::bigint + 1)::text::xid8), 17,
  'sealing this transaction takes its 17 rows (3 + 1 system + 3 bulk + 2 + 2 key change + 3 delete + 2 late + truncate)');
select results_eq($$select s.chain_key, array_agg(u.id order by s.seq, u.o) from audit.seals as s
                     cross join lateral unnest(s.event_ids) with ordinality as u (id, o)
                     where s.event_ids && array(select e.id from audit.events as e where e.tx = pg_current_xact_id())
                     group by s.chain_key order by s.chain_key$$,
  $$select coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid), array_agg(id order by id)
      from audit.events where tx = pg_current_xact_id() group by 1 order by 1$$,
  'each chain (tenant A, tenant B, the platform for the truncate) gets seals naming its rows once, in id order');
select ok(audit.verify_chain('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa') is null
          and audit.verify_chain('bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb') is null
          and audit.verify_chain(null) is null,
  'the sealed chains of tenant A, tenant B and the platform verify');

select * from finish();
rollback;
