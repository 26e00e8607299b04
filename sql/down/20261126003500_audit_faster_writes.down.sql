-- Reverts 20261126003500_audit_faster_writes.sql: audit.row_change as
-- 20261126003200_audit_write_path.sql defined it.
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
  v_pk text[] := array(select pg_catalog.unnest(tg_argv));  -- tg_argv is 0-based
  v_table text := tg_table_name::text;
  v_action text := 'row.' || pg_catalog.lower(tg_op);
  v_at timestamptz := pg_catalog.clock_timestamp();
  v_cols text[];
  v_secret text[];
  v_marks jsonb;
  v_tenant_col text;
  v_ctx record;
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
begin
  -- Protected: names starting kra_pin, national_id, phone or bank_account, or
  -- containing token, secret or password (the pattern audit.redact matches,
  -- without a regular expression per column).
  select pg_catalog.array_agg(a.attname::text order by a.attname::text),
         coalesce(pg_catalog.array_agg(a.attname::text order by a.attname::text)
                    filter (where pg_catalog.starts_with(a.attname::text, 'kra_pin')
                               or pg_catalog.starts_with(a.attname::text, 'national_id')
                               or pg_catalog.starts_with(a.attname::text, 'phone')
                               or pg_catalog.starts_with(a.attname::text, 'bank_account')
                               or pg_catalog.strpos(a.attname::text, 'token') > 0
                               or pg_catalog.strpos(a.attname::text, 'secret') > 0
                               or pg_catalog.strpos(a.attname::text, 'password') > 0), '{}')
    into v_cols, v_secret
    from pg_catalog.pg_attribute as a
   where a.attrelid = tg_relid and a.attnum > 0 and not a.attisdropped;
  if v_secret <> '{}' then
    select pg_catalog.jsonb_object_agg(k, '"[redacted]"'::jsonb) into v_marks from pg_catalog.unnest(v_secret) as k;
  end if;
  v_tenant_col := case when tg_table_name = 'tenants' then 'id'
                       when 'tenant_id' = any (v_cols) then 'tenant_id' end;
  select * into v_ctx from audit.request_context();

  if tg_op = 'TRUNCATE' then
    perform audit.append_event(null, v_ctx.actor_id, v_ctx.actor_role, 'table.truncate', v_table, null,
      v_ctx.ip_address, v_ctx.user_agent, v_ctx.request_id, 'success', null, null, null,
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
    if tg_op = 'INSERT' then
      select pg_catalog.to_jsonb(n) into v_row from audit_new as n;
      v_cols_changed := v_cols;
      v_new_values := case when v_marks is null then v_row else v_row || v_marks end;
    elsif tg_op = 'DELETE' then
      select pg_catalog.to_jsonb(o) into v_row from audit_old as o;
      v_cols_changed := v_cols;
      v_old_values := case when v_marks is null then v_row else v_row || v_marks end;
    else
      select pg_catalog.to_jsonb(n) into v_row from audit_new as n;
      select pg_catalog.to_jsonb(o) into v_old from audit_old as o;
      if (case when pg_catalog.cardinality(v_pk) = 1 then v_row ->> v_pk[1] else pg_catalog.array_to_string(array(select v_row ->> k from pg_catalog.unnest(v_pk) as k), ',') end) is not distinct from (case when pg_catalog.cardinality(v_pk) = 1 then v_old ->> v_pk[1] else pg_catalog.array_to_string(array(select v_old ->> k from pg_catalog.unnest(v_pk) as k), ',') end) then
        select pg_catalog.array_agg(e.key order by e.key),
               pg_catalog.jsonb_object_agg(e.key, v_old -> e.key),
               pg_catalog.jsonb_object_agg(e.key, e.value)
          into v_cols_changed, v_old_values, v_new_values
          from pg_catalog.jsonb_each(v_row) as e
         where e.value is distinct from (v_old -> e.key) and e.key <> 'updated_at';
        if v_cols_changed is null then
          return null;
        end if;
        if v_marks is not null and (v_old_values ?| v_secret) then
          select v_old_values || pg_catalog.jsonb_object_agg(k, '"[redacted]"'::jsonb),
                 v_new_values || pg_catalog.jsonb_object_agg(k, '"[redacted]"'::jsonb)
            into v_old_values, v_new_values
            from pg_catalog.unnest(v_secret) as k where v_old_values ? k;
        end if;
      else
        v_row := null;  -- the primary key changed: the set-based path records both images
      end if;
    end if;
    if v_row is not null then
      perform audit.append_event((v_row ->> v_tenant_col)::uuid, v_ctx.actor_id, v_ctx.actor_role, v_action,
        v_table, case when pg_catalog.cardinality(v_pk) = 1 then v_row ->> v_pk[1] else pg_catalog.array_to_string(array(select v_row ->> k from pg_catalog.unnest(v_pk) as k), ',') end, v_ctx.ip_address, v_ctx.user_agent, v_ctx.request_id, 'success',
        v_cols_changed, v_old_values, v_new_values, '{}'::jsonb);
      return null;
    end if;
  end if;

  -- The constant parts of audit.event_hash's JSON array for this statement
  -- (id, time, tenant, actor, role, action, resource type, resource id, ip,
  -- user agent, request id, outcome, changed columns, details, lane,
  -- position, link size), as json_build_array writes them.
  v_head_time := ', ' || ((extract(epoch from v_at) * 1000000)::bigint)::text || ', ';
  v_head_actor := ', ' || coalesce(pg_catalog.to_json(v_ctx.actor_id)::text, 'null')
               || ', ' || coalesce(pg_catalog.to_json(v_ctx.actor_role)::text, 'null')
               || ', ' || pg_catalog.to_json(v_action)::text || ', ' || pg_catalog.to_json(v_table)::text || ', ';
  v_head_request := ', ' || coalesce(pg_catalog.to_json(v_ctx.ip_address::text)::text, 'null')
                 || ', ' || coalesce(pg_catalog.to_json(v_ctx.user_agent)::text, 'null')
                 || ', ' || coalesce(pg_catalog.to_json(v_ctx.request_id)::text, 'null') || ', "success", '
                 || case when tg_op = 'UPDATE' then '' else pg_catalog.to_json(v_cols)::text || ', {}, ' end;
  execute audit.change_sql(tg_relid, tg_op, v_pk, v_tenant_col)
     into v_done_keys, v_done_hashes, v_lanes, v_seqs
    using v_ctx.actor_id, v_ctx.actor_role, v_action, v_table, v_ctx.user_agent, v_ctx.request_id,
          v_cols, v_at, v_ctx.ip_address, v_head_time, v_head_actor, v_head_request;

  for v_i in 1 .. coalesce(pg_catalog.cardinality(v_done_keys), 0) loop
    perform audit.chain_commit(v_done_keys[v_i], v_lanes[v_i], v_seqs[v_i], v_done_hashes[v_i]);
  end loop;
  return null;
end;
$$;
