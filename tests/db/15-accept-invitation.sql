-- private.accept_invitation(bytea): who may call it, and what it does.
begin;
select plan(13);

select is_definer('private', 'accept_invitation', array['bytea'], 'accept_invitation is security definer');
select ok((select proconfig @> array['search_path=""'] from pg_proc where oid = 'private.accept_invitation(bytea)'::regprocedure),
  'accept_invitation runs with an empty search_path');
select function_privs_are('private', 'accept_invitation', array['bytea'], 'authenticated', array['EXECUTE'],
  'authenticated may execute accept_invitation');
select function_privs_are('private', 'accept_invitation', array['bytea'], 'anon', array[]::text[],
  'anon may not execute accept_invitation');

-- fixtures
insert into auth.users (id, email) values
  ('00000000-0000-0000-0000-0000000000a1', 'hire@example.test'),
  ('00000000-0000-0000-0000-0000000000a2', 'other@example.test');
insert into public.tenants (id, name, slug) values ('00000000-0000-0000-0000-00000000f001', 'T', 'accept-inv-test');
insert into public.invitations (tenant_id, email, role, token_hash, expires_at) values
  ('00000000-0000-0000-0000-00000000f001', 'hire@example.test', 'hr_manager', sha256('good'::bytea), now() + interval '1 day');
insert into public.invitations (tenant_id, email, role, token_hash, expires_at, created_at) values
  ('00000000-0000-0000-0000-00000000f001', 'hire@example.test', 'employee', sha256('old'::bytea),
   now() - interval '1 day', now() - interval '2 days');

set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"00000000-0000-0000-0000-0000000000a2","role":"authenticated"}', true);
select throws_ok($$select * from private.accept_invitation(sha256('good'::bytea))$$, 'KZ403', null,
  'another user cannot use the invitation');
select throws_ok($$select * from private.accept_invitation(sha256('nope'::bytea))$$, 'KZ404', null,
  'an unknown token is not found');

select set_config('request.jwt.claims', '{"sub":"00000000-0000-0000-0000-0000000000a1","role":"authenticated"}', true);
select throws_ok($$select * from private.accept_invitation(sha256('old'::bytea))$$, 'P0001', null,
  'an expired invitation is refused');
select is((select role from private.accept_invitation(sha256('good'::bytea))), 'hr_manager',
  'the invitee accepts with the offered role');
select throws_ok($$select * from private.accept_invitation(sha256('good'::bytea))$$, 'KZ409', null,
  'the token is single use');
reset role;

select is((select role from public.memberships where user_id = '00000000-0000-0000-0000-0000000000a1'), 'hr_manager',
  'the membership exists');
select is((select status from public.onboarding_cases where subject_user_id = '00000000-0000-0000-0000-0000000000a1'),
  'draft', 'the invitee has a draft onboarding case');
select is((select created_by from public.onboarding_cases where subject_user_id = '00000000-0000-0000-0000-0000000000a1'),
  '00000000-0000-0000-0000-0000000000a1'::uuid, 'the case is stamped as created by the invitee');
select is((select count(*)::int from public.memberships where user_id = '00000000-0000-0000-0000-0000000000a2'), 0,
  'the refused user got nothing');

select * from finish();
rollback;
