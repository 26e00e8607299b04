-- audit.record_event: the one entry point for security events from the
-- functions. Executable by service_role only; writes exactly the row asked for;
-- fills actor and request details from the request settings when not given;
-- validates its input; redacts protected keys in details. Sealed (this
-- transaction's rows, with audit.seal_range), the events verify on their
-- chains; an event rolled back with its work is in no seal.
begin;
select plan(21);

select ok(has_function_privilege('service_role', 'audit.record_event(text, text, uuid, text, text, jsonb, uuid, text, inet, text, text)', 'execute'),
  'service_role may record events');
select ok(not has_function_privilege('authenticated', 'audit.record_event(text, text, uuid, text, text, jsonb, uuid, text, inet, text, text)', 'execute')
          and not has_function_privilege('anon', 'audit.record_event(text, text, uuid, text, text, jsonb, uuid, text, inet, text, text)', 'execute')
          and not has_function_privilege('supabase_auth_admin', 'audit.record_event(text, text, uuid, text, text, jsonb, uuid, text, inet, text, text)', 'execute'),
  'authenticated, anon and supabase_auth_admin may not');
select is((select prosecdef from pg_proc where oid = 'audit.record_event(text, text, uuid, text, text, jsonb, uuid, text, inet, text, text)'::regprocedure),
  true, 'record_event is security definer');

-- a function request: the user's claims and headers are set, then the event is written as service_role
select set_config('request.jwt.claims', '{"sub":"55555555-0000-4000-8000-000000000005","role":"authenticated"}', true);
select set_config('request.headers', '{"x-forwarded-for":"198.51.100.4","user-agent":"kazi-admin/2","x-request-id":"req-evt-1"}', true);
set local role service_role;
create temporary table ids (label text primary key, id bigint);
insert into ids values ('filled', audit.record_event(
  action => 'employee.pii_revealed',
  tenant_id => 'aaaaaaaa-0000-4000-8000-000000000000',
  resource_type => 'employee',
  resource_id => 'ae000000-0000-4000-8000-000000000001',
  details => '{"fields": ["kra_pin", "phone"], "reason": "payroll", "kra_pin": "A123456789Z", "phone_e164": "+254712345678"}'));
insert into ids values ('explicit', audit.record_event(
  action => 'auth.token_rejected', outcome => 'denied',
  details => '{"reason": "expired"}',
  actor_id => '66666666-0000-4000-8000-000000000006', actor_role => 'anon',
  ip_address => '192.0.2.1', user_agent => 'curl/8', request_id => 'req-explicit'));
reset role;

select results_eq(
  $$select tenant_id, actor_id, actor_role, action::text, resource_type, resource_id, ip_address, user_agent, request_id, outcome::text,
           changed_columns, old_values, new_values
      from audit.events where id = (select id from ids where label = 'filled')$$,
  $$values ('aaaaaaaa-0000-4000-8000-000000000000'::uuid, '55555555-0000-4000-8000-000000000005'::uuid, 'authenticated',
            'employee.pii_revealed', 'employee', 'ae000000-0000-4000-8000-000000000001', '198.51.100.4'::inet,
            'kazi-admin/2', 'req-evt-1', 'success', null::text[], null::jsonb, null::jsonb)$$,
  'an event with only action and resource is completed from the JWT claims and request headers');
select is((select details from audit.events where id = (select id from ids where label = 'filled')),
  '{"fields": ["kra_pin", "phone"], "reason": "payroll", "kra_pin": "[redacted]", "phone_e164": "[redacted]"}'::jsonb,
  'protected keys in details are redacted; field names listed as values are kept');
select is((select count(*)::int from audit.events where id = (select id from ids where label = 'filled')
            and (details::text like '%A123456789Z%' or details::text like '%712345678%')), 0,
  'the plaintext values never reach the row');

select results_eq(
  $$select tenant_id, actor_id, actor_role, action::text, ip_address, user_agent, request_id, outcome::text, details
      from audit.events where id = (select id from ids where label = 'explicit')$$,
  $$values (null::uuid, '66666666-0000-4000-8000-000000000006'::uuid, 'anon', 'auth.token_rejected', '192.0.2.1'::inet,
            'curl/8', 'req-explicit', 'denied', '{"reason": "expired"}'::jsonb)$$,
  'explicit arguments win over the request settings; no tenant means the platform chain');
select ok((select id from ids where label = 'explicit') > (select id from ids where label = 'filled'),
  'record_event returns the new event id');

-- no claims, no headers: the role in force is the actor role
select set_config('request.jwt.claims', '', true);
select set_config('request.headers', '{"x-forwarded-for":"not-an-address","user-agent":"x"}', true);
set local role service_role;
insert into ids values ('bare', audit.record_event('keys.kek_rotated'));
reset role;
select results_eq(
  $$select actor_id, actor_role, ip_address, outcome::text, details from audit.events where id = (select id from ids where label = 'bare')$$,
  $$values (null::uuid, 'service_role', null::inet, 'success', '{}'::jsonb)$$,
  'defaults: outcome success, details {}, actor role service_role; a malformed address is dropped, not an error');

-- input validation: nothing is written
select throws_ok($$select audit.record_event('auth.sign_in', outcome => 'maybe')$$, '22023', null, 'an unknown outcome is refused');
select throws_ok($$select audit.record_event('Not An Action')$$, '22023', null, 'an action that is not a dotted name is refused');
select throws_ok($$select audit.record_event(null)$$, '22023', null, 'a missing action is refused');
select throws_ok($$insert into audit.events (action, outcome) values ('auth.sign_in', 'maybe')$$, '23514', null,
  'the table itself refuses an unknown outcome (domain audit.event_outcome)');
select throws_ok($$insert into audit.events (action) values ('')$$, '23514', null,
  'the table itself refuses an empty action (domain audit.event_action)');
select throws_ok($$select audit.record_event('x.y', details => '[1, 2]')$$, '22023', null, 'details that are not an object are refused');

-- as authenticated: refused
set local role authenticated;
select throws_ok($$select audit.record_event('employee.pii_revealed')$$, '42501', null, 'authenticated cannot call record_event');
reset role;

-- an event recorded inside a transaction that rolls back is gone with it
savepoint work;
select audit.record_event('employee.exported', tenant_id => 'aaaaaaaa-0000-4000-8000-000000000000');
rollback to savepoint work;
select is((select count(*)::int from audit.events where action = 'employee.exported'), 0,
  'an event rolls back with the work it describes');
select is(audit.seal_range(pg_current_xact_id(), (pg_current_xact_id()::text::bigint + 1)::text::xid8), 3,
  'sealing this transaction takes its three events (filled, explicit, bare), not the rolled-back one');
select is((select event_ids from audit.seals where chain_key = 'aaaaaaaa-0000-4000-8000-000000000000'),
  array[(select id from ids where label = 'filled')], 'the tenant''s seal names only the event that stayed');
select is(audit.verify_chain('aaaaaaaa-0000-4000-8000-000000000000'), null, 'and the sealed tenant chain verifies');
select is(audit.verify_chain(null), null, 'the platform chain (the explicit and bare events, sealed) verifies');

select * from finish();
rollback;
