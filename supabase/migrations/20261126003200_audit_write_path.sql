-- Audit write path, faster (issue 4 performance targets): same rows, same
-- hashes, same chains; less work per row and per transaction.
--
-- Functions: audit.change_sql(regclass, text, text[], text) (new),
--            audit.chain_next(uuid), audit.append_event(...),
--            audit.row_change() (replaced; the down script restores them)
--
-- Where the time went (100,000-row insert + update of employees, and small
-- transactions of 8 writers; see bench/audit.bench.ts):
--   - multi-row updates diffed every row through jsonb_each and two
--     jsonb_object_agg per row (about 40 µs a row): the generated statement
--     compares the columns as SQL values and builds the changed-column
--     objects from JSON text fragments;
--   - audit.event_hash is not inlined (its `set search_path` forbids it), so
--     every row paid a SQL-function call that is parsed and planned each time
--     (8 µs in bulk, about 50 µs in a one-row statement): the writers carry
--     the same expression inline (audit.verify_chain still recomputes with
--     audit.event_hash, so a difference would show as an altered row; pgTAP 39);
--   - five materialized CTEs over the full row images spilled to temporary
--     files: now the hashed rows only (plus the small diffs of an update), in
--     memory up to work_mem;
--   - every trigger call matched the protected-column regex against each column
--     in pg_attribute (about 100 µs a statement, twice per small transaction):
--     starts_with/strpos give the same answer for a fraction of it;
--   - taking a lane cost a locking SELECT plus an UPDATE that queues the flush:
--     now one UPDATE ... FROM (SELECT ... FOR UPDATE SKIP LOCKED).
-- One-row statements (the usual API write) keep the short path through
-- audit.append_event; statements of two rows or more run one statement
-- generated for the table (audit.change_sql), planned once per statement.

-- functions
-- The set-based audit statement for one trigger call on p_table (p_op INSERT,
-- UPDATE or DELETE), reading the transition tables audit_new / audit_old.
-- Parameters when run: $1 actor_id, $2 actor_role, $3 action, $4 resource_type,
-- $5 user_agent, $6 request_id, $7 every column name (text[]), $8 occurred_at,
-- $9 ip_address, and the constant parts of the hashed JSON header (see
-- audit.row_change): $10 after the id, $11 after the tenant, $12 after the
-- resource id. It returns one row: the chain keys, link hashes, lanes and
-- positions it appended (for audit.chain_commit).
-- Each row_hash is audit.event_hash(...) of the row written out inline: the
-- same JSON array text, assembled from the constant parts and the row's own
-- fields (a call costs a SQL-function call per row; verify_chain recomputes
-- with audit.event_hash, so any difference shows as an altered row). The link
-- hash is sha256(prev || row hashes in id order), as for audit.append_event.
-- Internal: called only by audit.row_change (no grants).
create function audit.change_sql(p_table regclass, p_op text, p_pk text[], p_tenant_col text)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_zero constant text := '''00000000-0000-0000-0000-000000000000''::uuid';
  v_source text := case when p_op = 'INSERT' then 'audit_new' else 'audit_old' end;
  v_pk text;
  v_tenant text;
  v_missing text;
  v_image text;
  v_cols text;
  v_olds text;
  v_news text;
  v_join text;
  v_src text;
  v_heads_from text;
begin
  -- resource_id as the one-row path writes it (row_json ->> column): the
  -- value's text for types whose text form jsonb keeps, else jsonb's text.
  -- ALIAS is replaced by the transition table alias.
  select pg_catalog.string_agg(
           case when a.atttypid in ('uuid'::pg_catalog.regtype, 'text'::pg_catalog.regtype, 'varchar'::pg_catalog.regtype,
                                    'int2'::pg_catalog.regtype, 'int4'::pg_catalog.regtype, 'int8'::pg_catalog.regtype)
                then pg_catalog.format('ALIAS.%I::text', a.attname)
                else pg_catalog.format('(pg_catalog.to_jsonb(ALIAS.%I) #>> ''{}'')', a.attname) end,
           ', ' order by k.o)
    into v_pk
    from pg_catalog.unnest(p_pk) with ordinality as k (name, o)
    join pg_catalog.pg_attribute as a on a.attrelid = p_table and a.attname = k.name;
  if pg_catalog.cardinality(p_pk) > 1 then
    v_pk := 'pg_catalog.array_to_string(array[' || v_pk || '], '','')';
  end if;
  -- the chain: the row's tenant (uuid), or null for the platform chain
  select case when a.atttypid = 'uuid'::pg_catalog.regtype then pg_catalog.format('ALIAS.%I', a.attname)
              else pg_catalog.format('(ALIAS.%I)::text::uuid', a.attname) end
    into v_tenant
    from pg_catalog.pg_attribute as a
   where a.attrelid = p_table and a.attname = p_tenant_col;
  v_tenant := coalesce(v_tenant, 'null::uuid');

  if p_op in ('INSERT', 'DELETE') then
    -- The whole row, protected columns (named as audit.row_change lists them)
    -- holding the mark: one jsonb built from a row that already holds it.
    select pg_catalog.string_agg(
             case when pg_catalog.starts_with(a.attname::text, 'kra_pin') or pg_catalog.starts_with(a.attname::text, 'national_id')
                       or pg_catalog.starts_with(a.attname::text, 'phone') or pg_catalog.starts_with(a.attname::text, 'bank_account')
                       or pg_catalog.strpos(a.attname::text, 'token') > 0 or pg_catalog.strpos(a.attname::text, 'secret') > 0
                       or pg_catalog.strpos(a.attname::text, 'password') > 0
                  then pg_catalog.format('%L::text as %I', '[redacted]', a.attname)
                  else pg_catalog.format('r.%1$I as %1$I', a.attname) end,
             ', ' order by a.attnum)
      into v_image
      from pg_catalog.pg_attribute as a
     where a.attrelid = p_table and a.attnum > 0 and not a.attisdropped;
    v_src := pg_catalog.format(
      'select coalesce(%1$s, %2$s) as chain_key, %1$s as tenant_id, %3$s as resource_id, $7 as cols,
              %4$s as old_values, %5$s as new_values
         from %6$s as r cross join lateral (select %7$s) as i',
      pg_catalog.replace(v_tenant, 'ALIAS.', 'r.'), v_zero, pg_catalog.replace(v_pk, 'ALIAS.', 'r.'),
      case when p_op = 'DELETE' then 'pg_catalog.to_jsonb(i)' else 'null::jsonb' end,
      case when p_op = 'INSERT' then 'pg_catalog.to_jsonb(i)' else 'null::jsonb' end,
      v_source, v_image);
    v_heads_from := pg_catalog.format(
      'select coalesce(%s, %s) as chain_key, pg_catalog.count(*)::integer as size from %s as r group by 1',
      pg_catalog.replace(v_tenant, 'ALIAS.', 'r.'), v_zero, v_source);
  else
    -- Updates: only the columns that changed (updated_at alone is no change),
    -- compared as SQL values where the type's equality is jsonb's equality,
    -- else as jsonb (what the one-row path compares). A row whose primary key
    -- changed has no partner: it records every column, as the one-row path's
    -- fallback always did. Values are JSON text fragments joined into one object.
    v_missing := pg_catalog.format('(n.%1$I is null or o.%1$I is null)', p_pk[1]);
    with c as (
      select a.attname::text as name,
             pg_catalog.to_json(a.attname::text)::text || ': ' as json_key,
             (pg_catalog.starts_with(a.attname::text, 'kra_pin') or pg_catalog.starts_with(a.attname::text, 'national_id')
              or pg_catalog.starts_with(a.attname::text, 'phone') or pg_catalog.starts_with(a.attname::text, 'bank_account')
              or pg_catalog.strpos(a.attname::text, 'token') > 0 or pg_catalog.strpos(a.attname::text, 'secret') > 0
              or pg_catalog.strpos(a.attname::text, 'password') > 0) as protected,
             case when a.atttypid in ('bool'::pg_catalog.regtype, 'int2'::pg_catalog.regtype, 'int4'::pg_catalog.regtype,
                                      'int8'::pg_catalog.regtype, 'numeric'::pg_catalog.regtype, 'float4'::pg_catalog.regtype,
                                      'float8'::pg_catalog.regtype, 'uuid'::pg_catalog.regtype, 'date'::pg_catalog.regtype,
                                      'timestamp'::pg_catalog.regtype, 'timestamptz'::pg_catalog.regtype,
                                      'bytea'::pg_catalog.regtype, 'jsonb'::pg_catalog.regtype)
                    or (a.atttypid in ('text'::pg_catalog.regtype, 'varchar'::pg_catalog.regtype)
                        and coalesce((select co.collisdeterministic from pg_catalog.pg_collation as co
                                       where co.oid = a.attcollation), true))
                  then pg_catalog.format('(%1$s or n.%2$I is distinct from o.%2$I)', v_missing, a.attname)
                  else pg_catalog.format('(%1$s or pg_catalog.to_jsonb(n.%2$I) is distinct from pg_catalog.to_jsonb(o.%2$I))',
                                         v_missing, a.attname) end as changed
        from pg_catalog.pg_attribute as a
       where a.attrelid = p_table and a.attnum > 0 and not a.attisdropped and a.attname <> 'updated_at'
    )
    select pg_catalog.string_agg(pg_catalog.format('case when %s then %L end', c.changed, c.name), ', ' order by c.name),
           pg_catalog.string_agg(pg_catalog.format('case when %s then %s end', c.changed,
             case when c.protected then pg_catalog.quote_literal(c.json_key || '"[redacted]"')
                  else pg_catalog.format('%L || coalesce(pg_catalog.to_jsonb(o.%I)::text, %L)', c.json_key, c.name, 'null') end),
             ', ' order by c.name),
           pg_catalog.string_agg(pg_catalog.format('case when %s then %s end', c.changed,
             case when c.protected then pg_catalog.quote_literal(c.json_key || '"[redacted]"')
                  else pg_catalog.format('%L || coalesce(pg_catalog.to_jsonb(n.%I)::text, %L)', c.json_key, c.name, 'null') end),
             ', ' order by c.name)
      into v_cols, v_olds, v_news
      from c;
    select pg_catalog.string_agg(pg_catalog.format('n.%1$I = o.%1$I', k.name), ' and ')
      into v_join
      from pg_catalog.unnest(p_pk) as k (name);
    v_src := pg_catalog.format(
      'select coalesce(d.tenant_id, %1$s) as chain_key, d.tenant_id, d.resource_id, d.cols,
              (''{'' || pg_catalog.array_to_string(d.olds, '', '') || ''}'')::jsonb as old_values,
              (''{'' || pg_catalog.array_to_string(d.news, '', '') || ''}'')::jsonb as new_values
         from (select coalesce(%2$s, %3$s) as tenant_id, coalesce(%4$s, %5$s) as resource_id,
                      pg_catalog.array_remove(array[%6$s]::text[], null) as cols,
                      array[%7$s]::text[] as olds, array[%8$s]::text[] as news
                 from audit_new as n full join audit_old as o on %9$s) as d
        where pg_catalog.cardinality(d.cols) > 0',
      v_zero, pg_catalog.replace(v_tenant, 'ALIAS.', 'n.'), pg_catalog.replace(v_tenant, 'ALIAS.', 'o.'),
      pg_catalog.replace(v_pk, 'ALIAS.', 'n.'), pg_catalog.replace(v_pk, 'ALIAS.', 'o.'), v_cols, v_olds, v_news, v_join);
    v_heads_from := 'select s.chain_key, pg_catalog.count(*)::integer as size from src as s group by 1';
  end if;

  return 'with '
    || case when p_op = 'UPDATE' then 'src as materialized (' || v_src || '), ' else '' end || '
    heads as materialized (
      select k.chain_key, k.size, l.lane, l.seq, l.prev
        from (' || v_heads_from || ') as k
        cross join lateral audit.chain_next(k.chain_key) as l
    ),
    hashed as materialized (
      select x.id, x.chain_key, x.tenant_id, x.resource_id, x.lane, x.seq, x.prev, x.size, '
    || case when p_op = 'UPDATE' then 'x.cols, ' else '' end || 'x.old_values, x.new_values,
             pg_catalog.sha256(pg_catalog.convert_to(
               ''['' || x.id::text || $10 || coalesce(''"'' || x.tenant_id::text || ''"'', ''null'') || $11
               || coalesce(pg_catalog.to_json(x.resource_id)::text, ''null'') || $12
               ' || case when p_op = 'UPDATE' then '|| pg_catalog.to_json(x.cols)::text || '', {}, '' ' else '' end || '
               || x.lane::text || '', '' || x.seq::text || '', '' || x.size::text || '']''
               || pg_catalog.chr(30) || coalesce(x.old_values::text, ''null'')
               || pg_catalog.chr(30) || coalesce(x.new_values::text, ''null''), ''UTF8'')) as row_hash
        from (select pg_catalog.nextval(''audit.events_id_seq'') as id, s.chain_key, s.tenant_id, s.resource_id,
                     h.lane, h.seq, h.prev, h.size, s.cols, s.old_values, s.new_values
                from (' || case when p_op = 'UPDATE' then 'select * from src' else v_src end || ') as s
                join heads as h on h.chain_key = s.chain_key
              offset 0) as x
    ),
    links as materialized (
      select g.chain_key, pg_catalog.sha256(coalesce(h.prev, ''\x''::bytea) || g.row_hashes) as hash
        from (select r.chain_key, pg_catalog.string_agg(r.row_hash, ''''::bytea order by r.id) as row_hashes
                from hashed as r group by r.chain_key) as g
        join heads as h on h.chain_key = g.chain_key
    ),
    written as (
      insert into audit.events (id, occurred_at, tenant_id, actor_id, actor_role, action,
        resource_type, resource_id, ip_address, user_agent, request_id, outcome,
        changed_columns, old_values, new_values, details, chain_lane, chain_seq, link_size,
        prev_hash, hash, row_hash)
      select r.id, $8, r.tenant_id, $1, $2, $3, $4, r.resource_id, $9, $5, $6, ''success'',
             ' || case when p_op = 'UPDATE' then 'r.cols' else '$7' end || ', r.old_values, r.new_values, ''{}''::jsonb,
             r.lane, r.seq, r.size, r.prev, l.hash, r.row_hash
        from hashed as r join links as l on l.chain_key = r.chain_key
    )
    select pg_catalog.array_agg(l.chain_key), pg_catalog.array_agg(l.hash),
           pg_catalog.array_agg(h.lane), pg_catalog.array_agg(h.seq)
      from links as l join heads as h on h.chain_key = l.chain_key';
end;
$$;
revoke execute on function audit.change_sql(regclass, text, text[], text) from public;

-- The next link position of a chain for this transaction: the lane it holds,
-- or a free lane (locked and its flush queued by one UPDATE ... FOR UPDATE SKIP
-- LOCKED), or a new lane. Internal (no grants).
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
  -- Setting pending queues the deferred flush that writes the lane's final
  -- state at commit (audit.flush_chain_head).
  loop
    update audit.chain_heads as h set pending = true
      from (select f.chain_key, f.lane
              from audit.chain_heads as f
             where f.chain_key = p_key
             order by f.lane
             limit 1
               for update skip locked) as free
     where h.chain_key = free.chain_key and h.lane = free.lane
    returning h.lane, h.last_seq + 1, h.last_hash into lane, seq, prev;
    exit when found;
    insert into audit.chain_heads as h (chain_key, lane, pending)
    values (p_key, pg_catalog.pg_backend_pid(), true)
    on conflict do nothing
    returning h.lane, h.last_seq + 1, h.last_hash into lane, seq, prev;
    exit when found;
    update audit.chain_heads as h set pending = true
     where h.chain_key = p_key and h.lane = pg_catalog.pg_backend_pid()
    returning h.lane, h.last_seq + 1, h.last_hash into lane, seq, prev;
    exit when found;
  end loop;
end;
$$;

-- Appends one event as a link of its own. Internal (no grants).
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
  -- audit.event_hash(...) written out: a call to that SQL function is parsed
  -- and planned on every call (its search_path setting prevents inlining).
  v_row_hash := pg_catalog.sha256(pg_catalog.convert_to(
    pg_catalog.json_build_array(
      v_id, (extract(epoch from v_at) * 1000000)::bigint, p_tenant_id, p_actor_id,
      p_actor_role, p_action, p_resource_type, p_resource_id, p_ip_address::text, p_user_agent,
      p_request_id, p_outcome, p_changed_columns, p_details, v_link.lane, v_link.seq, 1)::text
    || pg_catalog.chr(30) || coalesce(p_old_values::text, 'null')
    || pg_catalog.chr(30) || coalesce(p_new_values::text, 'null'), 'UTF8'));
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

-- Generic change trigger (attach with audit.track). Statement-level with
-- transition tables. Each statement becomes one link per tenant chain
-- (link_size rows sharing one link hash). Inserts and deletes record the
-- whole row; updates only the columns that changed; an updated row whose only
-- change is updated_at writes no event. Protected and secret columns are
-- recorded (as changed, for updates) with the value "[redacted]", whether or
-- not they hold a value. resource_id is the primary key (audit.track passes
-- its columns as trigger arguments). A one-row statement (the usual API write)
-- takes the short path through audit.append_event with cached generic plans;
-- a statement of more rows runs the set-based statement audit.change_sql
-- generates for the table. JIT is off (it only costs here); work_mem lets the
-- hashed rows of a bulk statement stay in memory.
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
