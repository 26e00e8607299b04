-- Reverts 20261127000200_audit_track_column_catalog.sql: audit.track as
-- 20261126000100_audit_core.sql defined it, audit.row_change as
-- 20261126003500_audit_faster_writes.sql defined it, and every tracked table's
-- triggers made again by that audit.track (primary key columns as arguments).

-- One line per table: select audit.track('public.employees');
-- Creates <table>_audit_insert, <table>_audit_update, <table>_audit_delete
-- (after, for each statement, with transition tables) and <table>_audit_truncate.
-- The table needs a primary key (it becomes resource_id); re-run after changing it.
create or replace function audit.track(p_table regclass)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_name text := (select c.relname from pg_catalog.pg_class as c where c.oid = p_table);
  v_keys text := (
    select pg_catalog.string_agg(pg_catalog.quote_literal(a.attname), ', ' order by k.o)
      from pg_catalog.pg_index as i
      cross join lateral pg_catalog.unnest(i.indkey) with ordinality as k (attnum, o)
      join pg_catalog.pg_attribute as a on a.attrelid = i.indrelid and a.attnum = k.attnum
     where i.indrelid = p_table and i.indisprimary);
begin
  if v_keys is null then
    raise exception 'audit.track: % has no primary key', p_table
      using errcode = 'invalid_table_definition', hint = 'Audit rows name the changed row by its primary key.';
  end if;
  perform audit.untrack(p_table);
  execute pg_catalog.format(
    'create trigger %I after insert on %s referencing new table as audit_new for each statement execute function audit.row_change(%s)',
    v_name || '_audit_insert', p_table, v_keys);
  execute pg_catalog.format(
    'create trigger %I after update on %s referencing old table as audit_old new table as audit_new for each statement execute function audit.row_change(%s)',
    v_name || '_audit_update', p_table, v_keys);
  execute pg_catalog.format(
    'create trigger %I after delete on %s referencing old table as audit_old for each statement execute function audit.row_change(%s)',
    v_name || '_audit_delete', p_table, v_keys);
  execute pg_catalog.format(
    'create trigger %I after truncate on %s for each statement execute function audit.row_change()',
    v_name || '_audit_truncate', p_table);
end;
$$;

-- Generic change trigger (attach with audit.track). Statement-level with
-- transition tables. Each statement becomes one link per tenant chain
-- (link_size rows sharing one link hash). Inserts and deletes record the
-- whole row; updates only the columns that changed; an updated row whose only
-- change is updated_at writes no event. Protected and secret columns (names
-- starting kra_pin, national_id, phone or bank_account, or containing token,
-- secret or password) are recorded (as changed, for updates) with the value
-- "[redacted]", whether or not they hold a value. resource_id is the primary
-- key (audit.track passes its columns as trigger arguments). A one-row
-- statement (the usual API write) appends its event inline; a statement of
-- more rows runs the set-based statement audit.change_sql generates for the
-- table. JIT is off (it only costs here); work_mem lets the hashed rows of a
-- bulk statement stay in memory.
create or replace function audit.row_change()
returns trigger
language plpgsql
security definer
set search_path = ''
set jit = off
set plan_cache_mode = force_generic_plan
set work_mem = '64MB'
as $$
declare
  v_table text := tg_table_name::text;
  v_action text := 'row.' || pg_catalog.lower(tg_op);
  v_at timestamptz;
  v_pk text[];
  v_cols text[];
  v_marks jsonb;
  v_tenant_col text;
  v_claims jsonb;
  v_headers jsonb;
  v_sub text;
  v_actor_id uuid;
  v_actor_role text;
  v_ip inet;
  v_user_agent text;
  v_request_id text;
  v_done_keys uuid[];
  v_lanes integer[];
  v_seqs bigint[];
  v_done_hashes bytea[];
  v_i integer;
  v_n integer;
  v_row jsonb;
  v_old jsonb;
  v_cols_changed text[];
  v_old_values jsonb;
  v_new_values jsonb;
  v_head_time text;
  v_head_actor text;
  v_head_request text;
  v_tenant uuid;
  v_rid text;
  v_key uuid;
  v_state jsonb;
  v_chain jsonb;
  v_xid text;
  v_lane integer;
  v_seq bigint;
  v_prev bytea;
  v_link record;
  v_id bigint;
  v_row_hash bytea;
  v_hash bytea;
begin
  -- Who and from where: audit.request_context() written out (a call costs a
  -- function call with its own settings per statement).
  v_claims := nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb;
  v_headers := nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb;
  v_sub := coalesce(nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), ''), v_claims ->> 'sub');
  if v_sub ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    v_actor_id := v_sub::uuid;
  end if;
  v_actor_role := coalesce(v_claims ->> 'role',
                           nullif(pg_catalog.current_setting('role'), 'none'),
                           session_user::text);
  if v_headers is not null and pg_catalog.jsonb_typeof(v_headers) = 'object' then
    v_ip := audit.safe_inet(pg_catalog.btrim(pg_catalog.split_part(v_headers ->> 'x-forwarded-for', ',', 1)));
    v_user_agent := pg_catalog.left(v_headers ->> 'user-agent', 512);
    v_request_id := pg_catalog.left(v_headers ->> 'x-request-id', 128);
  end if;

  if tg_op = 'TRUNCATE' then
    perform audit.append_event(null, v_actor_id, v_actor_role, 'table.truncate', v_table, null,
      v_ip, v_user_agent, v_request_id, 'success', null, null, null,
      pg_catalog.jsonb_build_object('schema', tg_table_schema));
    return null;
  end if;

  if tg_op = 'DELETE' then
    select pg_catalog.count(*)::integer into v_n from audit_old;
  else
    select pg_catalog.count(*)::integer into v_n from audit_new;
  end if;
  if v_n = 0 then
    return null;
  end if;

  if v_n = 1 then
    -- The row image, its column names (every column, in name order) and the
    -- recorded values (protected columns marked) in one query.
    if tg_op <> 'UPDATE' then
      if tg_op = 'INSERT' then
        select pg_catalog.to_jsonb(n) into v_row from audit_new as n;
      else
        select pg_catalog.to_jsonb(o) into v_row from audit_old as o;
      end if;
      -- every column name (in name order) and the protected columns' marks
      select pg_catalog.array_agg(a.attname::text order by a.attname::text),
             pg_catalog.jsonb_object_agg(a.attname::text, '"[redacted]"'::jsonb)
               filter (where pg_catalog.starts_with(a.attname::text, 'kra_pin')
                          or pg_catalog.starts_with(a.attname::text, 'national_id')
                          or pg_catalog.starts_with(a.attname::text, 'phone')
                          or pg_catalog.starts_with(a.attname::text, 'bank_account')
                          or pg_catalog.strpos(a.attname::text, 'token') > 0
                          or pg_catalog.strpos(a.attname::text, 'secret') > 0
                          or pg_catalog.strpos(a.attname::text, 'password') > 0)
        into v_cols, v_marks
        from pg_catalog.pg_attribute as a
       where a.attrelid = tg_relid and a.attnum > 0 and not a.attisdropped;
      v_cols_changed := v_cols;
      if tg_op = 'INSERT' then
        v_new_values := case when v_marks is null then v_row else v_row || v_marks end;
      else
        v_old_values := case when v_marks is null then v_row else v_row || v_marks end;
      end if;
    else
      select pg_catalog.to_jsonb(n) into v_row from audit_new as n;
      select pg_catalog.to_jsonb(o) into v_old from audit_old as o;
    end if;
    if tg_nargs = 1 then
      v_rid := v_row ->> tg_argv[0];
    else
      v_rid := pg_catalog.array_to_string(array(select v_row ->> k from pg_catalog.unnest(tg_argv) as k), ',');
    end if;
    if tg_op = 'UPDATE' then
      if v_rid is distinct from (case when tg_nargs = 1 then v_old ->> tg_argv[0]
                                      else pg_catalog.array_to_string(array(select v_old ->> k from pg_catalog.unnest(tg_argv) as k), ',') end) then
        v_row := null;  -- the primary key changed: the set-based path records both images
      else
        -- the columns whose value changed (compared as jsonb; updated_at alone
        -- is no change), protected ones marked on both sides
        select pg_catalog.array_agg(e.key order by e.key),
               pg_catalog.jsonb_object_agg(e.key, case when e.protected then '"[redacted]"'::jsonb else v_old -> e.key end),
               pg_catalog.jsonb_object_agg(e.key, case when e.protected then '"[redacted]"'::jsonb else e.value end)
          into v_cols_changed, v_old_values, v_new_values
          from (select j.key, j.value,
                       pg_catalog.starts_with(j.key, 'kra_pin') or pg_catalog.starts_with(j.key, 'national_id')
                       or pg_catalog.starts_with(j.key, 'phone') or pg_catalog.starts_with(j.key, 'bank_account')
                       or pg_catalog.strpos(j.key, 'token') > 0 or pg_catalog.strpos(j.key, 'secret') > 0
                       or pg_catalog.strpos(j.key, 'password') > 0 as protected
                  from pg_catalog.jsonb_each(v_row) as j
                 where j.value is distinct from (v_old -> j.key) and j.key <> 'updated_at') as e;
        if v_cols_changed is null then
          return null;
        end if;
      end if;
    end if;
    if v_row is not null then
      v_tenant := case when tg_table_name = 'tenants' then (v_row ->> 'id')::uuid
                       when v_row ? 'tenant_id' then (v_row ->> 'tenant_id')::uuid end;
      v_key := coalesce(v_tenant, '00000000-0000-0000-0000-000000000000'::uuid);
      -- The lane this transaction holds for the chain (audit.chain_next's
      -- state, trusted only in the transaction that wrote it), else take one.
      v_state := nullif(pg_catalog.current_setting('audit.chain_state', true), '')::jsonb;
      v_xid := pg_catalog.pg_current_xact_id()::text;
      if v_state ->> 'xid' = v_xid then
        v_chain := v_state -> v_key::text;
      end if;
      if v_chain is not null and not coalesce((v_chain ->> 'flushed')::boolean, false) then
        v_lane := (v_chain ->> 'lane')::integer;
        v_seq := (v_chain ->> 'seq')::bigint + 1;
        v_prev := pg_catalog.decode(v_chain ->> 'hash', 'hex');
      else
        v_link := audit.chain_next(v_key);
        v_lane := v_link.lane;
        v_seq := v_link.seq;
        v_prev := v_link.prev;
      end if;
      -- audit.append_event written out: the same content and hash.
      v_id := pg_catalog.nextval('audit.events_id_seq');
      v_at := pg_catalog.clock_timestamp();
      v_row_hash := pg_catalog.sha256(pg_catalog.convert_to(
        pg_catalog.json_build_array(
          v_id, (extract(epoch from v_at) * 1000000)::bigint, v_tenant, v_actor_id,
          v_actor_role, v_action, v_table, v_rid, v_ip::text, v_user_agent,
          v_request_id, 'success'::text, v_cols_changed, '{}'::jsonb, v_lane, v_seq, 1)::text
        || pg_catalog.chr(30) || coalesce(v_old_values::text, 'null')
        || pg_catalog.chr(30) || coalesce(v_new_values::text, 'null'), 'UTF8'));
      v_hash := pg_catalog.sha256(coalesce(v_prev, '\x'::bytea) || v_row_hash);
      insert into audit.events (id, occurred_at, tenant_id, actor_id, actor_role, action,
        resource_type, resource_id, ip_address, user_agent, request_id, outcome,
        changed_columns, old_values, new_values, details, chain_lane, chain_seq, link_size,
        prev_hash, hash, row_hash)
      values (v_id, v_at, v_tenant, v_actor_id, v_actor_role, v_action,
        v_table, v_rid, v_ip, v_user_agent, v_request_id, 'success',
        v_cols_changed, v_old_values, v_new_values, '{}'::jsonb, v_lane, v_seq, 1,
        v_prev, v_hash, v_row_hash);
      -- audit.chain_commit written out: the lane's new position and hash.
      if v_state is null or v_state ->> 'xid' is distinct from v_xid then
        v_state := pg_catalog.jsonb_build_object('xid', v_xid);
      end if;
      perform pg_catalog.set_config('audit.chain_state',
        pg_catalog.jsonb_set(v_state, array[v_key::text],
          pg_catalog.jsonb_build_object('lane', v_lane, 'seq', v_seq, 'hash', pg_catalog.encode(v_hash, 'hex')))::text,
        true);
      return null;
    end if;
  end if;

  -- Set-based path (two rows or more, or a changed primary key).
  v_pk := array(select pg_catalog.unnest(tg_argv));  -- tg_argv is 0-based
  select pg_catalog.array_agg(a.attname::text order by a.attname::text)
    into v_cols
    from pg_catalog.pg_attribute as a
   where a.attrelid = tg_relid and a.attnum > 0 and not a.attisdropped;
  v_tenant_col := case when tg_table_name = 'tenants' then 'id'
                       when 'tenant_id' = any (v_cols) then 'tenant_id' end;
  v_at := pg_catalog.clock_timestamp();
  -- The constant parts of audit.event_hash's JSON array for this statement
  -- (id, time, tenant, actor, role, action, resource type, resource id, ip,
  -- user agent, request id, outcome, changed columns, details, lane,
  -- position, link size), as json_build_array writes them.
  v_head_time := ', ' || ((extract(epoch from v_at) * 1000000)::bigint)::text || ', ';
  v_head_actor := ', ' || coalesce(pg_catalog.to_json(v_actor_id)::text, 'null')
               || ', ' || coalesce(pg_catalog.to_json(v_actor_role)::text, 'null')
               || ', ' || pg_catalog.to_json(v_action)::text || ', ' || pg_catalog.to_json(v_table)::text || ', ';
  v_head_request := ', ' || coalesce(pg_catalog.to_json(v_ip::text)::text, 'null')
                 || ', ' || coalesce(pg_catalog.to_json(v_user_agent)::text, 'null')
                 || ', ' || coalesce(pg_catalog.to_json(v_request_id)::text, 'null') || ', "success", '
                 || case when tg_op = 'UPDATE' then '' else pg_catalog.to_json(v_cols)::text || ', {}, ' end;
  execute audit.change_sql(tg_relid, tg_op, v_pk, v_tenant_col)
     into v_done_keys, v_done_hashes, v_lanes, v_seqs
    using v_actor_id, v_actor_role, v_action, v_table, v_user_agent, v_request_id,
          v_cols, v_at, v_ip, v_head_time, v_head_actor, v_head_request;

  for v_i in 1 .. coalesce(pg_catalog.cardinality(v_done_keys), 0) loop
    perform audit.chain_commit(v_done_keys[v_i], v_lanes[v_i], v_seqs[v_i], v_done_hashes[v_i]);
  end loop;
  return null;
end;
$$;

select audit.track(t.tgrelid::regclass)
  from (select distinct tr.tgrelid from pg_catalog.pg_trigger as tr
         where tr.tgfoid = 'audit.row_change()'::regprocedure) as t;
