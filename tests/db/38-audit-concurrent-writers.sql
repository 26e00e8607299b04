-- Writers take no shared lock (a writer only inserts its rows; the sealer
-- chains them later): while this transaction holds uncommitted audit rows of
-- tenant A and holds the sealer (it ran audit.seal(), whose lock on the
-- audit.sealer row lasts to the end, as a long seal run's would), a second
-- session writes audit events for tenant A, tenant B and the platform chain
-- without waiting (lock_timeout 300ms would fail it), and its own
-- audit.seal() returns 0 at once instead of waiting for the running sealer.
-- The second session rolls back, so nothing is left behind. This transaction
-- then seals its own row and tenant A's chain verifies. Needs dblink and a
-- passwordless local connection (as the test runner has); skipped otherwise.
begin;
select plan(6);

create temporary table env (ok boolean, why text);
do $$
begin
  begin
    create extension if not exists dblink with schema extensions;
    perform extensions.dblink_connect('other', pg_catalog.format('dbname=%s port=%s user=%s%s',
      current_database(), current_setting('port'), current_user,
      coalesce(' host=' || host(inet_server_addr()), '')));
    insert into env values (true, null);
  exception when others then
    insert into env values (false, sqlerrm);
  end;
end;
$$;

-- this transaction writes a row of tenant A and keeps it uncommitted until the end
select audit.record_event('test.concurrency', tenant_id => 'a1a1a1a1-0000-4000-8000-000000000000');
-- and runs the sealer, keeping its lock on audit.sealer until the end
set local role service_role;
do $$ begin perform audit.seal(); end; $$;
reset role;

create function pg_temp.other_session_writes(p_tenant uuid) returns text language plpgsql as $$
begin
  perform extensions.dblink_exec('other', pg_catalog.format(
    'begin; set local lock_timeout = ''300ms''; select audit.record_event(''test.concurrency'', tenant_id => %L::uuid); rollback;',
    p_tenant));
  return 'written without waiting';
exception when others then
  perform extensions.dblink_exec('other', 'rollback', false);
  return sqlstate || ': ' || sqlerrm;
end;
$$;
create function pg_temp.other_session_seals() returns text language plpgsql as $$
declare
  v_sealed integer;
begin
  perform extensions.dblink_exec('other', 'begin; set local lock_timeout = ''300ms''');
  select t.n into v_sealed from extensions.dblink('other', 'select audit.seal()') as t (n integer);
  perform extensions.dblink_exec('other', 'rollback');
  return 'returned ' || v_sealed;
exception when others then
  perform extensions.dblink_exec('other', 'rollback', false);
  return sqlstate || ': ' || sqlerrm;
end;
$$;

select case when (select ok from env) then
  is(pg_temp.other_session_writes('a1a1a1a1-0000-4000-8000-000000000000'), 'written without waiting',
     'another session writes to the same tenant''s chain while this one holds uncommitted rows of it and the sealer')
  else skip('dblink unavailable: ' || (select why from env), 1) end;
select case when (select ok from env) then
  is(pg_temp.other_session_writes('b2b2b2b2-0000-4000-8000-000000000000'), 'written without waiting',
     'another session writes to another tenant''s chain without waiting')
  else skip('dblink unavailable', 1) end;
select case when (select ok from env) then
  is(pg_temp.other_session_writes(null), 'written without waiting',
     'another session writes to the platform chain without waiting')
  else skip('dblink unavailable', 1) end;
select case when (select ok from env) then
  is(pg_temp.other_session_seals(), 'returned 0',
     'another session''s audit.seal() returns 0 at once while this one holds the sealer (one sealer at a time, no waiting)')
  else skip('dblink unavailable', 1) end;

-- this transaction's row, sealed (audit.seal() leaves open transactions alone), verifies
select is(audit.seal_range(pg_current_xact_id(), (pg_current_xact_id()::text::bigint + 1)::text::xid8), 1,
  'sealing this transaction takes its one row');
select is(audit.verify_chain('a1a1a1a1-0000-4000-8000-000000000000'), null, 'this transaction''s chain verifies');

do $$ begin if (select ok from env) then perform extensions.dblink_disconnect('other'); end if; end $$;
select * from finish();
rollback;
