-- Reverts 20261126003200_audit_write_path.sql: the previous definitions of
-- audit.chain_next, audit.append_event and audit.row_change (as in
-- 20261126000100_audit_core.sql), and no audit.change_sql.
create or replace function audit.chain_next(p_key uuid, out lane integer, out seq bigint, out prev bytea)
language plpgsql
set search_path = ''
as $$
declare
  v_state jsonb := nullif(pg_catalog.current_setting('audit.chain_state', true), '')::jsonb;
  v_chain jsonb;
begin
  -- The state is only trusted in the transaction that wrote it.
  if v_state ->> 'xid' = pg_catalog.pg_current_xact_id()::text then
    v_chain := v_state -> p_key::text;
  end if;
  if v_chain is not null then
    lane := (v_chain ->> 'lane')::integer;
    seq := (v_chain ->> 'seq')::bigint + 1;
    prev := pg_catalog.decode(v_chain ->> 'hash', 'hex');
    if (v_chain ->> 'flushed')::boolean then
      -- SET CONSTRAINTS ... IMMEDIATE flushed early: queue another flush.
      update audit.chain_heads as h set pending = true where h.chain_key = p_key and h.lane = chain_next.lane;
    end if;
    return;
  end if;
  loop
    select h.lane, h.last_seq + 1, h.last_hash into lane, seq, prev
      from audit.chain_heads as h
     where h.chain_key = p_key
     order by h.lane
     limit 1
       for update skip locked;
    exit when found;
    insert into audit.chain_heads as h (chain_key, lane)
    values (p_key, pg_catalog.pg_backend_pid())
    on conflict do nothing
    returning h.lane, h.last_seq + 1, h.last_hash into lane, seq, prev;
    exit when found;
    select h.lane, h.last_seq + 1, h.last_hash into lane, seq, prev
      from audit.chain_heads as h
     where h.chain_key = p_key and h.lane = pg_catalog.pg_backend_pid()
       for update;
    exit when found;
  end loop;
  -- Queues the deferred flush that writes the lane's final state at commit.
  update audit.chain_heads as h set pending = true where h.chain_key = p_key and h.lane = chain_next.lane;
end;
$$;

create or replace function audit.append_event(
  p_tenant_id uuid, p_actor_id uuid, p_actor_role text, p_action text,
  p_resource_type text, p_resource_id text, p_ip_address inet, p_user_agent text,
  p_request_id text, p_outcome text, p_changed_columns text[], p_old_values jsonb,
  p_new_values jsonb, p_details jsonb)
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  v_key uuid := coalesce(p_tenant_id, '00000000-0000-0000-0000-000000000000'::uuid);
  v_link record;
  v_id bigint;
  v_at timestamptz;
  v_row_hash bytea;
  v_hash bytea;
begin
  v_link := audit.chain_next(v_key);
  v_id := pg_catalog.nextval('audit.events_id_seq');
  v_at := pg_catalog.clock_timestamp();
  v_row_hash := audit.event_hash(v_id, v_at, p_tenant_id, p_actor_id, p_actor_role,
    p_action, p_resource_type, p_resource_id, p_ip_address, p_user_agent, p_request_id,
    p_outcome, p_changed_columns, p_old_values, p_new_values, p_details, v_link.lane, v_link.seq, 1);
  v_hash := pg_catalog.sha256(coalesce(v_link.prev, '\x'::bytea) || v_row_hash);
  insert into audit.events (id, occurred_at, tenant_id, actor_id, actor_role, action,
    resource_type, resource_id, ip_address, user_agent, request_id, outcome,
    changed_columns, old_values, new_values, details, chain_lane, chain_seq, link_size,
    prev_hash, hash, row_hash)
  values (v_id, v_at, p_tenant_id, p_actor_id, p_actor_role, p_action,
    p_resource_type, p_resource_id, p_ip_address, p_user_agent, p_request_id, p_outcome,
    p_changed_columns, p_old_values, p_new_values, p_details, v_link.lane, v_link.seq, 1,
    v_link.prev, v_hash, v_row_hash);
  perform audit.chain_commit(v_key, v_link.lane, v_link.seq, v_hash);
  return v_id;
end;
$$;

create or replace function audit.row_change()
returns trigger
language plpgsql
security definer
set search_path = ''
set jit = off
set plan_cache_mode = force_generic_plan
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
begin
  select pg_catalog.array_agg(a.attname::text order by a.attname::text),
         coalesce(pg_catalog.array_agg(a.attname::text order by a.attname::text)
                    filter (where a.attname ~ '^(kra_pin|national_id|phone|bank_account)|token|secret|password'), '{}')
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

  -- One-row statements (the usual API write) take the short path: one link of
  -- one row through audit.append_event, without the set-based query below.
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

  if tg_op = 'INSERT' then
    with changed as materialized (select pg_catalog.to_jsonb(n) as j from audit_new as n),
    src as materialized (
      select coalesce(x.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid) as chain_key, x.tenant_id, x.resource_id,
             v_cols as cols, null::jsonb as old_values,
             case when v_marks is null then x.j else x.j || v_marks end as new_values
        from (select r.j, (r.j ->> v_tenant_col)::uuid as tenant_id, case when pg_catalog.cardinality(v_pk) = 1 then r.j ->> v_pk[1]
                else pg_catalog.array_to_string(array(select r.j ->> k from pg_catalog.unnest(v_pk) as k), ',') end as resource_id
                from changed as r) as x
    ),
    -- a link position in each chain the statement touches (locks a lane head)
    heads as materialized (
      select k.chain_key, l.lane, l.seq, l.prev
        from (select distinct s.chain_key from src as s) as k
        cross join lateral audit.chain_next(k.chain_key) as l
    ),
    numbered as materialized (
      select pg_catalog.nextval('audit.events_id_seq') as id, s.*, h.lane, h.seq, h.prev, c.link_size
        from src as s
        join (select s2.chain_key, pg_catalog.count(*)::integer as link_size from src as s2 group by s2.chain_key) as c
          on c.chain_key = s.chain_key
        join heads as h on h.chain_key = s.chain_key
    ),
    hashed as materialized (
      select n.*, audit.event_hash(n.id, v_at, n.tenant_id, v_ctx.actor_id, v_ctx.actor_role, v_action,
                                   v_table, n.resource_id, v_ctx.ip_address, v_ctx.user_agent,
                                   v_ctx.request_id, 'success', n.cols, n.old_values, n.new_values,
                                   '{}'::jsonb, n.lane, n.seq, n.link_size) as row_hash
        from numbered as n
    ),
    links as materialized (
      select x.chain_key,
             pg_catalog.sha256(coalesce((pg_catalog.array_agg(x.prev))[1], '\x'::bytea)
                               || pg_catalog.string_agg(x.row_hash, ''::bytea order by x.id)) as hash
        from hashed as x
       group by x.chain_key
    ),
    written as (
      insert into audit.events (id, occurred_at, tenant_id, actor_id, actor_role, action,
        resource_type, resource_id, ip_address, user_agent, request_id, outcome,
        changed_columns, old_values, new_values, details, chain_lane, chain_seq, link_size,
        prev_hash, hash, row_hash)
      select h.id, v_at, h.tenant_id, v_ctx.actor_id, v_ctx.actor_role, v_action,
             v_table, h.resource_id, v_ctx.ip_address, v_ctx.user_agent, v_ctx.request_id, 'success',
             h.cols, h.old_values, h.new_values, '{}'::jsonb, h.lane, h.seq, h.link_size,
             h.prev, l.hash, h.row_hash
        from hashed as h join links as l on l.chain_key = h.chain_key
    )
    select pg_catalog.array_agg(l.chain_key), pg_catalog.array_agg(l.hash),
           pg_catalog.array_agg(h.lane), pg_catalog.array_agg(h.seq)
      into v_done_keys, v_done_hashes, v_lanes, v_seqs
      from links as l join heads as h on h.chain_key = l.chain_key;
  elsif tg_op = 'UPDATE' then
    with changed as materialized (
      select r.j, case when pg_catalog.cardinality(v_pk) = 1 then r.j ->> v_pk[1]
                else pg_catalog.array_to_string(array(select r.j ->> k from pg_catalog.unnest(v_pk) as k), ',') end as rid
        from (select pg_catalog.to_jsonb(n) as j from audit_new as n offset 0) as r),
    changed_old as materialized (
      select r.j, case when pg_catalog.cardinality(v_pk) = 1 then r.j ->> v_pk[1]
                else pg_catalog.array_to_string(array(select r.j ->> k from pg_catalog.unnest(v_pk) as k), ',') end as rid
        from (select pg_catalog.to_jsonb(o) as j from audit_old as o offset 0) as r),
    src as materialized (
      select coalesce(t.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid) as chain_key, t.tenant_id, t.resource_id, d.cols,
             case when v_marks is null or not (d.old_values ?| v_secret) then d.old_values
                else d.old_values || (select pg_catalog.jsonb_object_agg(k, '"[redacted]"'::jsonb)
                              from pg_catalog.unnest(v_secret) as k where d.old_values ? k) end as old_values,
             case when v_marks is null or not (d.new_values ?| v_secret) then d.new_values
                else d.new_values || (select pg_catalog.jsonb_object_agg(k, '"[redacted]"'::jsonb)
                              from pg_catalog.unnest(v_secret) as k where d.new_values ? k) end as new_values
        from (select (coalesce(nn.j, oo.j) ->> v_tenant_col)::uuid as tenant_id,
                     coalesce(nn.rid, oo.rid) as resource_id, nn.j as nj, oo.j as oj
                from changed as nn
                full join changed_old as oo on oo.rid = nn.rid) as t
        cross join lateral (
          select pg_catalog.array_agg(e.key order by e.key) as cols,
                 pg_catalog.jsonb_object_agg(e.key, t.oj -> e.key) as old_values,
                 pg_catalog.jsonb_object_agg(e.key, t.nj -> e.key) as new_values
            from pg_catalog.jsonb_each(coalesce(t.nj, t.oj)) as e
           where (t.nj -> e.key) is distinct from (t.oj -> e.key) and e.key <> 'updated_at') as d
       where d.cols is not null
    ),
    -- a link position in each chain the statement touches (locks a lane head)
    heads as materialized (
      select k.chain_key, l.lane, l.seq, l.prev
        from (select distinct s.chain_key from src as s) as k
        cross join lateral audit.chain_next(k.chain_key) as l
    ),
    numbered as materialized (
      select pg_catalog.nextval('audit.events_id_seq') as id, s.*, h.lane, h.seq, h.prev, c.link_size
        from src as s
        join (select s2.chain_key, pg_catalog.count(*)::integer as link_size from src as s2 group by s2.chain_key) as c
          on c.chain_key = s.chain_key
        join heads as h on h.chain_key = s.chain_key
    ),
    hashed as materialized (
      select n.*, audit.event_hash(n.id, v_at, n.tenant_id, v_ctx.actor_id, v_ctx.actor_role, v_action,
                                   v_table, n.resource_id, v_ctx.ip_address, v_ctx.user_agent,
                                   v_ctx.request_id, 'success', n.cols, n.old_values, n.new_values,
                                   '{}'::jsonb, n.lane, n.seq, n.link_size) as row_hash
        from numbered as n
    ),
    links as materialized (
      select x.chain_key,
             pg_catalog.sha256(coalesce((pg_catalog.array_agg(x.prev))[1], '\x'::bytea)
                               || pg_catalog.string_agg(x.row_hash, ''::bytea order by x.id)) as hash
        from hashed as x
       group by x.chain_key
    ),
    written as (
      insert into audit.events (id, occurred_at, tenant_id, actor_id, actor_role, action,
        resource_type, resource_id, ip_address, user_agent, request_id, outcome,
        changed_columns, old_values, new_values, details, chain_lane, chain_seq, link_size,
        prev_hash, hash, row_hash)
      select h.id, v_at, h.tenant_id, v_ctx.actor_id, v_ctx.actor_role, v_action,
             v_table, h.resource_id, v_ctx.ip_address, v_ctx.user_agent, v_ctx.request_id, 'success',
             h.cols, h.old_values, h.new_values, '{}'::jsonb, h.lane, h.seq, h.link_size,
             h.prev, l.hash, h.row_hash
        from hashed as h join links as l on l.chain_key = h.chain_key
    )
    select pg_catalog.array_agg(l.chain_key), pg_catalog.array_agg(l.hash),
           pg_catalog.array_agg(h.lane), pg_catalog.array_agg(h.seq)
      into v_done_keys, v_done_hashes, v_lanes, v_seqs
      from links as l join heads as h on h.chain_key = l.chain_key;
  else
    with changed as materialized (select pg_catalog.to_jsonb(o) as j from audit_old as o),
    src as materialized (
      select coalesce(x.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid) as chain_key, x.tenant_id, x.resource_id,
             v_cols as cols, case when v_marks is null then x.j else x.j || v_marks end as old_values,
             null::jsonb as new_values
        from (select r.j, (r.j ->> v_tenant_col)::uuid as tenant_id, case when pg_catalog.cardinality(v_pk) = 1 then r.j ->> v_pk[1]
                else pg_catalog.array_to_string(array(select r.j ->> k from pg_catalog.unnest(v_pk) as k), ',') end as resource_id
                from changed as r) as x
    ),
    -- a link position in each chain the statement touches (locks a lane head)
    heads as materialized (
      select k.chain_key, l.lane, l.seq, l.prev
        from (select distinct s.chain_key from src as s) as k
        cross join lateral audit.chain_next(k.chain_key) as l
    ),
    numbered as materialized (
      select pg_catalog.nextval('audit.events_id_seq') as id, s.*, h.lane, h.seq, h.prev, c.link_size
        from src as s
        join (select s2.chain_key, pg_catalog.count(*)::integer as link_size from src as s2 group by s2.chain_key) as c
          on c.chain_key = s.chain_key
        join heads as h on h.chain_key = s.chain_key
    ),
    hashed as materialized (
      select n.*, audit.event_hash(n.id, v_at, n.tenant_id, v_ctx.actor_id, v_ctx.actor_role, v_action,
                                   v_table, n.resource_id, v_ctx.ip_address, v_ctx.user_agent,
                                   v_ctx.request_id, 'success', n.cols, n.old_values, n.new_values,
                                   '{}'::jsonb, n.lane, n.seq, n.link_size) as row_hash
        from numbered as n
    ),
    links as materialized (
      select x.chain_key,
             pg_catalog.sha256(coalesce((pg_catalog.array_agg(x.prev))[1], '\x'::bytea)
                               || pg_catalog.string_agg(x.row_hash, ''::bytea order by x.id)) as hash
        from hashed as x
       group by x.chain_key
    ),
    written as (
      insert into audit.events (id, occurred_at, tenant_id, actor_id, actor_role, action,
        resource_type, resource_id, ip_address, user_agent, request_id, outcome,
        changed_columns, old_values, new_values, details, chain_lane, chain_seq, link_size,
        prev_hash, hash, row_hash)
      select h.id, v_at, h.tenant_id, v_ctx.actor_id, v_ctx.actor_role, v_action,
             v_table, h.resource_id, v_ctx.ip_address, v_ctx.user_agent, v_ctx.request_id, 'success',
             h.cols, h.old_values, h.new_values, '{}'::jsonb, h.lane, h.seq, h.link_size,
             h.prev, l.hash, h.row_hash
        from hashed as h join links as l on l.chain_key = h.chain_key
    )
    select pg_catalog.array_agg(l.chain_key), pg_catalog.array_agg(l.hash),
           pg_catalog.array_agg(h.lane), pg_catalog.array_agg(h.seq)
      into v_done_keys, v_done_hashes, v_lanes, v_seqs
      from links as l join heads as h on h.chain_key = l.chain_key;
  end if;

  for v_i in 1 .. coalesce(pg_catalog.cardinality(v_done_keys), 0) loop
    perform audit.chain_commit(v_done_keys[v_i], v_lanes[v_i], v_seqs[v_i], v_done_hashes[v_i]);
  end loop;
  return null;
end;
$$;

drop function if exists audit.change_sql(regclass, text, text[], text);
