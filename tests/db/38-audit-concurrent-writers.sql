-- Writers do not queue on one global lock: while this transaction holds its
-- lane of tenant A's chain (uncommitted audit rows), a second session writes
-- audit events for tenant A and tenant B and the platform chain without
-- waiting (lock_timeout 300ms would fail it). The second session rolls back,
-- so nothing is left behind. Needs dblink and a passwordless local connection
-- (as the test runner has); skipped otherwise.
begin;
select plan(4);

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

-- this transaction takes a lane of tenant A and keeps it until the end
select audit.record_event('test.concurrency', tenant_id => 'a1a1a1a1-0000-4000-8000-000000000000');

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

select case when (select ok from env) then
  is(pg_temp.other_session_writes('a1a1a1a1-0000-4000-8000-000000000000'), 'written without waiting',
     'another session writes to the same tenant''s chain while this one holds a lane (it opens its own lane)')
  else skip('dblink unavailable: ' || (select why from env), 1) end;
select case when (select ok from env) then
  is(pg_temp.other_session_writes('b2b2b2b2-0000-4000-8000-000000000000'), 'written without waiting',
     'another session writes to another tenant''s chain without waiting')
  else skip('dblink unavailable', 1) end;
select case when (select ok from env) then
  is(pg_temp.other_session_writes(null), 'written without waiting',
     'another session writes to the platform chain without waiting')
  else skip('dblink unavailable', 1) end;

select is(audit.verify_chain('a1a1a1a1-0000-4000-8000-000000000000'), null, 'this transaction''s chain still verifies');

do $$ begin if (select ok from env) then perform extensions.dblink_disconnect('other'); end if; end $$;
select * from finish();
rollback;
