-- Supabase Auth password verification attempt hook: every attempt is an audit
-- event; N failures within the window lock the user (reject, in the shape
-- Supabase Auth expects); a success resets the count; other users are not
-- affected; only supabase_auth_admin may call it. Sealed (this transaction's
-- rows, with audit.seal_range), the sign-in trail is in the platform chain's
-- seals and verifies.
begin;
select plan(24);

-- Calls the hook the way Supabase Auth does: as supabase_auth_admin.
create function pg_temp.attempt(p_user uuid, p_valid boolean) returns jsonb
language plpgsql as $$
declare
  v_answer jsonb;
begin
  perform set_config('role', 'supabase_auth_admin', true);
  v_answer := public.hook_password_verification_attempt(jsonb_build_object('user_id', p_user, 'valid', p_valid));
  perform set_config('role', 'none', true);
  return v_answer;
end;
$$;
create function pg_temp.sign_in_events(p_user uuid) returns table (outcome text, reason text)
language sql as $$
  select e.outcome, e.details ->> 'reason' from audit.events as e
   where e.action = 'auth.sign_in' and e.resource_id = p_user::text order by e.id
$$;

-- who may call it
select ok(has_function_privilege('supabase_auth_admin', 'public.hook_password_verification_attempt(jsonb)', 'execute'),
  'supabase_auth_admin can call the hook');
select ok(not has_function_privilege('anon', 'public.hook_password_verification_attempt(jsonb)', 'execute')
          and not has_function_privilege('authenticated', 'public.hook_password_verification_attempt(jsonb)', 'execute')
          and not has_function_privilege('service_role', 'public.hook_password_verification_attempt(jsonb)', 'execute'),
  'anon, authenticated and service_role cannot call the hook');
select ok((select bool_and(relrowsecurity) from pg_class
            where oid in ('private.auth_password_failures'::regclass, 'private.auth_lockout_settings'::regclass)),
  'the lockout state and settings tables have RLS on');

-- user 1: five failures (default limit), then refused even with the right password
create temporary table answers as
select n, pg_temp.attempt('11111111-0000-4000-8000-000000000001', false) as answer from generate_series(1, 5) as n;
select is((select count(*)::int from answers where answer = '{"decision": "continue"}'), 5,
  'the first five failures answer continue (Auth reports the wrong password itself)');
select is(pg_temp.attempt('11111111-0000-4000-8000-000000000001', true),
  '{"decision": "reject", "message": "Too many failed sign-in attempts. Try again later.", "should_logout_user": false}'::jsonb,
  'after five failures even the right password is rejected, in the hook answer shape');
select is(pg_temp.attempt('11111111-0000-4000-8000-000000000001', false) ->> 'decision', 'reject',
  'further wrong passwords are rejected too');
select results_eq($$select outcome, reason from pg_temp.sign_in_events('11111111-0000-4000-8000-000000000001')$$,
  $$values ('denied', 'invalid_password'), ('denied', 'invalid_password'), ('denied', 'invalid_password'),
           ('denied', 'invalid_password'), ('denied', 'invalid_password'),
           ('denied', 'locked_out'), ('denied', 'locked_out')$$,
  'every attempt is one audit event: five failures, then two refusals while locked');
select is((select count(*)::int from audit.events where action = 'auth.sign_in' and actor_id = '11111111-0000-4000-8000-000000000001'
            and tenant_id is null and resource_type = 'auth_user'), 7,
  'sign-in events name the user as actor and resource, on the platform chain');

-- user 2 is not affected by user 1's lock
select is(pg_temp.attempt('22222222-0000-4000-8000-000000000002', true), '{"decision": "continue"}'::jsonb,
  'another user signs in while user 1 is locked');
select is((select outcome from pg_temp.sign_in_events('22222222-0000-4000-8000-000000000002')), 'success',
  'a successful sign-in is recorded as success');
select is(pg_temp.attempt('22222222-0000-4000-8000-000000000002', false), '{"decision": "continue"}'::jsonb,
  'another user''s failure is counted for them only');

-- user 3: a success resets the count
select pg_temp.attempt('33333333-0000-4000-8000-000000000003', false) from generate_series(1, 4);
select is(pg_temp.attempt('33333333-0000-4000-8000-000000000003', true), '{"decision": "continue"}'::jsonb,
  'four failures then the right password: signed in');
select is((select count(*)::int from private.auth_password_failures where user_id = '33333333-0000-4000-8000-000000000003'), 0,
  'a success clears the failure count');
select pg_temp.attempt('33333333-0000-4000-8000-000000000003', false) from generate_series(1, 4);
select is(pg_temp.attempt('33333333-0000-4000-8000-000000000003', true), '{"decision": "continue"}'::jsonb,
  'after the reset, four new failures do not lock');
select pg_temp.attempt('33333333-0000-4000-8000-000000000003', false) from generate_series(1, 5);
select is(pg_temp.attempt('33333333-0000-4000-8000-000000000003', true) ->> 'decision', 'reject',
  'five failures after the reset lock again');

-- the lock ends with the window, and a success then resets
update private.auth_password_failures set first_failed_at = first_failed_at - interval '16 minutes'
 where user_id = '11111111-0000-4000-8000-000000000001';
select is(pg_temp.attempt('11111111-0000-4000-8000-000000000001', true), '{"decision": "continue"}'::jsonb,
  'once the 15-minute window has passed the user may sign in');
select is((select count(*)::int from private.auth_password_failures where user_id = '11111111-0000-4000-8000-000000000001'), 0,
  'and the count is cleared');
update private.auth_password_failures set first_failed_at = first_failed_at - interval '16 minutes'
 where user_id = '22222222-0000-4000-8000-000000000002';
select pg_temp.attempt('22222222-0000-4000-8000-000000000002', false);
select is((select failed_count from private.auth_password_failures where user_id = '22222222-0000-4000-8000-000000000002'), 1,
  'a failure after the window starts a new count');

-- the limit is configurable
update private.auth_lockout_settings set max_failures = 2, failure_window = interval '1 hour';
select pg_temp.attempt('44444444-0000-4000-8000-000000000004', false) from generate_series(1, 2);
select is(pg_temp.attempt('44444444-0000-4000-8000-000000000004', true) ->> 'decision', 'reject',
  'with max_failures = 2, two failures lock');

-- malformed events are refused, nothing recorded
select throws_ok($$select pg_temp.attempt(null, true)$$, '22023', null, 'an event without user_id is refused');
select throws_ok($$select public.hook_password_verification_attempt('{"user_id": "11111111-0000-4000-8000-000000000001", "valid": "yes"}')$$,
  '22023', null, 'an event whose valid is not a boolean is refused');

-- the sign-in trail is part of the platform hash chain, once sealed
select is(audit.seal_range(pg_current_xact_id(), (pg_current_xact_id()::text::bigint + 1)::text::xid8), 30,
  'sealing this transaction takes its 30 sign-in events (8 of user 1, 3 of user 2, 16 of user 3, 3 of user 4)');
select is((select count(*)::int from audit.seals as s
             cross join lateral unnest(s.event_ids) as u (id)
             join audit.events as e on e.id = u.id
            where s.chain_key = '00000000-0000-0000-0000-000000000000' and e.action = 'auth.sign_in'), 30,
  'every sign-in event is in a seal of the platform chain');
select is(audit.verify_chain(null), null, 'the platform chain with the sign-in events verifies');

select * from finish();
rollback;
