-- Reverts 20261127000300_audit_sealed_chain.sql: the hash chain back on the
-- write path.
--
-- Dropped:  the pg_cron job audit-seal (where scheduled), audit.seals, audit.sealer,
--           audit.seal(), audit.seal_range(xid8, xid8),
--           audit.event_hash_sql(text), audit.events.tx (with events_tx_idx)
-- Restored: audit.events' chain_lane, chain_seq, link_size, prev_hash, hash and
--           row_hash, audit.chain_heads (with chain_heads_flush),
--           audit.chain_link, audit.event_hash, audit.chain_commit,
--           audit.flush_chain_head, audit.lane_end_fault, audit.verify_chain
--           and audit.drop_partitions_older_than as
--           20261126000100_audit_core.sql defined them; audit.chain_next,
--           audit.append_event and audit.change_sql as
--           20261126003200_audit_write_path.sql defined them; audit.row_change
--           as 20261127000200_audit_track_column_catalog.sql defined it (the
--           tracked tables' triggers were not changed by the migration).
-- Existing rows: the down first checks every chain with the sealed
-- audit.verify_chain (and refuses to run on a broken one), then rebuilds each
-- chain (tenant, or the platform chain) as one lane (lane 1): one link per
-- row in id order, link_size 1, row_hash = audit.event_hash(...) and hash =
-- sha256(previous hash || row_hash), and records each lane's last position
-- and hash in audit.chain_heads, so the old audit.verify_chain accepts every
-- chain and the old writers continue it. The seals are dropped: the rebuilt
-- chain vouches for the rows as they are at the down, not since they were
-- sealed.

-- The sealer's pg_cron job, where the migration scheduled one.
do $$
begin
  -- (nested: cron.job can only be named once pg_cron is known to exist)
  if exists (select from pg_catalog.pg_extension where extname = 'pg_cron') then
    if exists (select from cron.job where jobname = 'audit-seal') then
      perform cron.unschedule('audit-seal');
    end if;
  end if;
end;
$$;

-- Refuse to drop the seals over rows they show were tampered with: the
-- rebuilt chain would cover the damage.
do $$
declare
  v_key uuid;
  v_fault audit.chain_fault;
begin
  for v_key in
    select s.chain_key from audit.seals as s
    union
    select coalesce(e.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid) from audit.events as e
  loop
    v_fault := audit.verify_chain(nullif(v_key, '00000000-0000-0000-0000-000000000000'::uuid));
    if v_fault.problem is not null then
      raise exception 'audit chain % is broken at event %: % (%)', v_key, v_fault.event_id, v_fault.problem, v_fault.detail
        using errcode = 'data_corrupted', hint = 'Investigate before reverting: the rebuilt chain would cover the damage.';
    end if;
  end loop;
end;
$$;

-- functions (the sealed chain)
drop function audit.seal();
drop function audit.seal_range(xid8, xid8);
drop function audit.event_hash_sql(text);

-- types
-- One link of a chain as verify_chain reads it (a declared type, so the loop
-- over its dynamic query is checkable by plpgsql_check).
create type audit.chain_link as (
  lane integer, seq bigint, first_id bigint, last_id bigint, n integer, size integer,
  sizes bigint, prevs bigint, hashes bigint, prev_hash bytea, hash bytea, bad_id bigint, link_hash bytea
);

-- tables
drop table audit.seals;
drop table audit.sealer;
create table audit.chain_heads (
  chain_key uuid not null,
  lane integer not null,
  last_seq bigint not null default 0,
  last_hash bytea,
  anchor_seq bigint not null default 0,
  anchor_hash bytea,
  pending boolean not null default false,
  primary key (chain_key, lane)
);
comment on table audit.chain_heads is
  'Head of each hash-chain lane; anchor_* is the last purged link after retention.';
alter table audit.chain_heads enable row level security;
revoke all on audit.chain_heads from public, anon, authenticated, service_role;

-- The chain columns come back after details, where they were (tx, the one
-- column after them, goes), empty until the rows are chained below.
drop index audit.events_tx_idx;
alter table audit.events
  drop column tx,
  add column chain_lane integer,
  add column chain_seq bigint,
  add column link_size integer check (link_size > 0),
  add column prev_hash bytea,
  add column hash bytea,
  add column row_hash bytea;

-- functions
-- The hash of one row's canonical content: a JSON array of the scalar fields,
-- then the old and new values as jsonb text (deterministic), separated by a
-- control character that JSON text always escapes. Time is in epoch
-- microseconds so the session time zone does not matter. Writers and
-- audit.verify_chain use this (an inlinable SQL function).
create function audit.event_hash(
  p_id bigint, p_occurred_at timestamptz, p_tenant_id uuid,
  p_actor_id uuid, p_actor_role text, p_action text, p_resource_type text,
  p_resource_id text, p_ip_address inet, p_user_agent text, p_request_id text,
  p_outcome text, p_changed_columns text[], p_old_values jsonb, p_new_values jsonb,
  p_details jsonb, p_chain_lane integer, p_chain_seq bigint, p_link_size integer)
returns bytea
language sql
stable
set search_path = ''
as $$
  select pg_catalog.sha256(pg_catalog.convert_to(
    pg_catalog.json_build_array(
      p_id, (extract(epoch from p_occurred_at) * 1000000)::bigint, p_tenant_id, p_actor_id,
      p_actor_role, p_action, p_resource_type, p_resource_id, p_ip_address::text, p_user_agent,
      p_request_id, p_outcome, p_changed_columns, p_details, p_chain_lane, p_chain_seq, p_link_size)::text
    || pg_catalog.chr(30) || coalesce(p_old_values::text, 'null')
    || pg_catalog.chr(30) || coalesce(p_new_values::text, 'null'), 'UTF8'))
$$;
revoke execute on function audit.event_hash(bigint, timestamptz, uuid, uuid, text, text, text, text, inet, text, text, text, text[], jsonb, jsonb, jsonb, integer, bigint, integer) from public;

-- The next link position of a chain for this transaction: the lane it holds,
-- or a free lane (locked and its flush queued by one UPDATE ... FOR UPDATE SKIP
-- LOCKED), or a new lane. Internal (no grants).
create function audit.chain_next(p_key uuid, out lane integer, out seq bigint, out prev bytea)
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
revoke execute on function audit.chain_next(uuid) from public;

-- Records in the transaction state that a link was appended.
create function audit.chain_commit(p_key uuid, p_lane integer, p_seq bigint, p_hash bytea)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_xid text := pg_catalog.pg_current_xact_id()::text;
  v_state jsonb := nullif(pg_catalog.current_setting('audit.chain_state', true), '')::jsonb;
begin
  if v_state is null or v_state ->> 'xid' is distinct from v_xid then
    v_state := pg_catalog.jsonb_build_object('xid', v_xid);
  end if;
  perform pg_catalog.set_config('audit.chain_state',
    pg_catalog.jsonb_set(v_state, array[p_key::text],
      pg_catalog.jsonb_build_object('lane', p_lane, 'seq', p_seq, 'hash', pg_catalog.encode(p_hash, 'hex')))::text,
    true);
end;
$$;
revoke execute on function audit.chain_commit(uuid, integer, bigint, bytea) from public;

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

-- Deferred to commit: writes the lane's final seq and hash into its head row.
create function audit.flush_chain_head()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_state jsonb := nullif(pg_catalog.current_setting('audit.chain_state', true), '')::jsonb;
  v_chain jsonb := v_state -> new.chain_key::text;
begin
  if v_chain is not null
     and v_state ->> 'xid' = pg_catalog.pg_current_xact_id()::text
     and (v_chain ->> 'lane')::integer = new.lane then
    update audit.chain_heads
       set last_seq = (v_chain ->> 'seq')::bigint,
           last_hash = pg_catalog.decode(v_chain ->> 'hash', 'hex'),
           pending = false
     where chain_key = new.chain_key and lane = new.lane;
    perform pg_catalog.set_config('audit.chain_state',
      pg_catalog.jsonb_set(v_state, array[new.chain_key::text, 'flushed'], 'true'::jsonb)::text, true);
  else
    update audit.chain_heads set pending = false
     where chain_key = new.chain_key and lane = new.lane;
  end if;
  return null;
end;
$$;
revoke execute on function audit.flush_chain_head() from public;

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
create or replace function audit.change_sql(p_table regclass, p_op text, p_pk text[], p_tenant_col text)
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

-- Generic change trigger (attach with audit.track). Statement-level with
-- transition tables. Each statement becomes one link per tenant chain
-- (link_size rows sharing one link hash). Inserts and deletes record the
-- whole row; updates only the columns that changed; an updated row whose only
-- change is updated_at writes no event. Protected and secret columns (names
-- starting kra_pin, national_id, phone or bank_account, or containing token,
-- secret or password) are recorded (as changed, for updates) with the value
-- "[redacted]", whether or not they hold a value. resource_id is the primary
-- key. Arguments (audit.track writes them): the primary key columns, every
-- column in name order and the redaction marks; triggers made before that
-- pass the primary key columns one per argument, and are still served.
-- A one-row statement (the usual API write) appends its event inline: one
-- query reads the row images, an update's diff is a second, then the insert;
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
  v_table text := tg_table_name::text;
  v_action text := 'row.' || pg_catalog.lower(tg_op);
  v_tracked boolean := tg_nargs = 3 and pg_catalog.left(tg_argv[1], 1) = '{' and pg_catalog.left(tg_argv[2], 1) = '{';
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
  v_images jsonb[];
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
  if v_tracked then
    v_pk := tg_argv[0]::text[];
  else
    v_pk := array(select pg_catalog.unnest(tg_argv));  -- tg_argv is 0-based
  end if;

  -- The row images, in one query that reads at most two rows: enough to tell
  -- a one-row statement without counting a bulk one.
  if tg_op = 'INSERT' then
    select pg_catalog.array_agg(pg_catalog.to_jsonb(n)) into v_images from (select * from audit_new limit 2) as n;
    v_n := pg_catalog.cardinality(v_images);
    v_row := v_images[1];
  elsif tg_op = 'DELETE' then
    select pg_catalog.array_agg(pg_catalog.to_jsonb(o)) into v_images from (select * from audit_old limit 2) as o;
    v_n := pg_catalog.cardinality(v_images);
    v_row := v_images[1];
  else
    select (select pg_catalog.array_agg(pg_catalog.to_jsonb(n)) from (select * from audit_new limit 2) as n),
           (select pg_catalog.to_jsonb(o) from audit_old as o limit 1)
      into v_images, v_old;
    v_n := pg_catalog.cardinality(v_images);
    v_row := v_images[1];
  end if;
  if v_n is null then
    return null;
  end if;

  if v_n = 1 then
    if tg_op <> 'UPDATE' then
      -- Every column (in name order) and the protected columns' marks: those
      -- audit.track recorded, while the row has exactly those columns.
      if v_tracked then
        v_cols := tg_argv[1]::text[];
        if not (v_row ?& v_cols and v_row - v_cols = '{}'::jsonb) then
          v_cols := null;
        end if;
      end if;
      if v_cols is not null then
        v_marks := nullif(tg_argv[2]::jsonb, '{}'::jsonb);
      else
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
      end if;
      v_cols_changed := v_cols;
      if tg_op = 'INSERT' then
        v_new_values := case when v_marks is null then v_row else v_row || v_marks end;
      else
        v_old_values := case when v_marks is null then v_row else v_row || v_marks end;
      end if;
    end if;
    if pg_catalog.cardinality(v_pk) = 1 then
      v_rid := v_row ->> v_pk[1];
    else
      v_rid := pg_catalog.array_to_string(array(select v_row ->> k from pg_catalog.unnest(v_pk) as k), ',');
    end if;
    if tg_op = 'UPDATE' then
      if v_rid is distinct from (case when pg_catalog.cardinality(v_pk) = 1 then v_old ->> v_pk[1]
                                      else pg_catalog.array_to_string(array(select v_old ->> k from pg_catalog.unnest(v_pk) as k), ',') end) then
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

-- Drops the monthly partitions that ended before now() - age (default: the
-- retention setting). Before dropping, each lane remembers its last dropped link
-- as anchor, so audit.verify_chain still proves the remaining rows.
create or replace function audit.drop_partitions_older_than(age interval default null)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_age interval := coalesce(drop_partitions_older_than.age, (select s.retention from audit.settings as s));
  v_cutoff timestamptz := pg_catalog.now() - v_age;
  v_part record;
  v_dropped text[] := '{}'::text[];
begin
  if v_age < interval '1 month' then
    raise exception 'audit retention must be at least one month'
      using errcode = 'invalid_parameter_value', hint = 'See audit.settings.retention.';
  end if;
  for v_part in
    select c.relname,
           (pg_catalog.regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz as upper_bound
      from pg_catalog.pg_inherits as i
      join pg_catalog.pg_class as c on c.oid = i.inhrelid
     where i.inhparent = 'audit.events'::regclass and c.relname <> 'events_default'
     order by 2
  loop
    continue when v_part.upper_bound > v_cutoff;
    execute pg_catalog.format(
      'update audit.chain_heads as h set anchor_seq = x.chain_seq, anchor_hash = x.hash
         from (select distinct on (tenant_id, chain_lane)
                      coalesce(tenant_id, %L::uuid) as chain_key, chain_lane, chain_seq, hash
                 from audit.%I order by tenant_id, chain_lane, chain_seq desc) as x
        where h.chain_key = x.chain_key and h.lane = x.chain_lane and x.chain_seq > h.anchor_seq',
      '00000000-0000-0000-0000-000000000000', v_part.relname);
    execute pg_catalog.format('drop table audit.%I', v_part.relname);
    v_dropped := v_dropped || v_part.relname::text;
  end loop;
  if pg_catalog.cardinality(v_dropped) > 0 then
    perform audit.append_event(null, null, coalesce(nullif(pg_catalog.current_setting('role'), 'none'), session_user::text),
      'audit.retention_purge', 'audit_partition', null, null, null, null, 'success', null, null, null,
      pg_catalog.jsonb_build_object('partitions', v_dropped, 'cutoff', v_cutoff));
  end if;
  return pg_catalog.cardinality(v_dropped);
end;
$$;

-- Walks a tenant's chain (null: the platform chain) lane by lane and returns the
-- first faulty row and why, or null when the chain is intact:
--   altered       the row's content no longer matches its hash
--   removed       rows are missing before this row (event_id) or at the end of
--                 a lane (event_id null, detail names the lane)
--   out_of_order  a row repeats or precedes a position already taken
create function audit.lane_end_fault(p_head audit.chain_heads, p_seen_seq bigint, p_seen_hash bytea)
returns audit.chain_fault
language sql
immutable
set search_path = ''
as $$
  select case
    when p_head.last_seq > p_seen_seq then
      (null::bigint, 'removed', pg_catalog.format('lane %s: the head is at position %s but the last row is at %s',
                                                  p_head.lane, p_head.last_seq, p_seen_seq))::audit.chain_fault
    when p_head.last_seq < p_seen_seq then
      (null::bigint, 'out_of_order', pg_catalog.format('lane %s: rows beyond the head position %s',
                                                       p_head.lane, p_head.last_seq))::audit.chain_fault
    when p_head.last_hash is distinct from p_seen_hash then
      (null::bigint, 'altered', pg_catalog.format('lane %s: the last row does not match the head hash', p_head.lane))::audit.chain_fault
  end
$$;
revoke execute on function audit.lane_end_fault(audit.chain_heads, bigint, bytea) from public;

create or replace function audit.verify_chain(tenant_id uuid)
returns audit.chain_fault
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_tenant uuid := verify_chain.tenant_id;
  v_key uuid := coalesce(verify_chain.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid);
  v_state jsonb := nullif(pg_catalog.current_setting('audit.chain_state', true), '')::jsonb;
  v_head audit.chain_heads;
  v_link audit.chain_link;
  v_lane integer;
  v_lanes integer[] := '{}'::integer[];
  v_expect bigint;
  v_prev bytea;
  v_fault audit.chain_fault;
begin
  -- one row per link, in chain order, with everything needed to check it
  for v_link in execute
    'select e.chain_lane as lane, e.chain_seq as seq, min(e.id) as first_id, max(e.id) as last_id,
            count(*)::integer as n, min(e.link_size) as size, count(distinct e.link_size) as sizes,
            count(distinct coalesce(e.prev_hash, ''\x''::bytea)) as prevs, count(distinct e.hash) as hashes,
            (pg_catalog.array_agg(e.prev_hash))[1] as prev_hash, (pg_catalog.array_agg(e.hash))[1] as hash,
            (pg_catalog.array_agg(e.id order by e.id) filter (where e.row_hash is distinct from audit.event_hash(
               e.id, e.occurred_at, e.tenant_id, e.actor_id, e.actor_role, e.action, e.resource_type,
               e.resource_id, e.ip_address, e.user_agent, e.request_id, e.outcome, e.changed_columns,
               e.old_values, e.new_values, e.details, e.chain_lane, e.chain_seq, e.link_size)))[1] as bad_id,
            pg_catalog.sha256(coalesce((pg_catalog.array_agg(e.prev_hash))[1], ''\x''::bytea)
                              || pg_catalog.string_agg(e.row_hash, ''''::bytea order by e.id)) as link_hash
       from audit.events as e
      where ' || case when v_tenant is null then 'e.tenant_id is null' else 'e.tenant_id = $1' end || '
      group by e.chain_lane, e.chain_seq
      order by e.chain_lane, e.chain_seq' using v_tenant
  loop
    if v_lane is distinct from v_link.lane then
      if v_lane is not null then
        v_fault := audit.lane_end_fault(v_head, v_expect - 1, v_prev);
        if v_fault.problem is not null then
          return v_fault;
        end if;
      end if;
      select h.* into v_head from audit.chain_heads as h where h.chain_key = v_key and h.lane = v_link.lane;
      if not found then
        return (v_link.first_id, 'out_of_order', pg_catalog.format('lane %s has no head', v_link.lane))::audit.chain_fault;
      end if;
      -- This transaction's own unflushed writes: the head is in the transaction state.
      if v_state ->> 'xid' = pg_catalog.pg_current_xact_id_if_assigned()::text
         and (v_state -> v_key::text ->> 'lane')::integer = v_head.lane then
        v_head.last_seq := (v_state -> v_key::text ->> 'seq')::bigint;
        v_head.last_hash := pg_catalog.decode(v_state -> v_key::text ->> 'hash', 'hex');
      end if;
      v_lane := v_link.lane;
      v_lanes := v_lanes || v_lane;
      v_expect := v_head.anchor_seq + 1;
      v_prev := v_head.anchor_hash;
    end if;
    -- (ids are not compared: a writer may draw ids before it gets its lane)
    if v_link.seq < v_expect then
      return (v_link.first_id, 'out_of_order',
              pg_catalog.format('lane %s: position %s is already taken', v_lane, v_link.seq))::audit.chain_fault;
    end if;
    if v_link.seq > v_expect then
      return (v_link.first_id, 'removed',
              pg_catalog.format('lane %s: %s link(s) missing before this row (positions %s..%s)', v_lane,
                                v_link.seq - v_expect, v_expect, v_link.seq - 1))::audit.chain_fault;
    end if;
    if v_link.sizes = 1 and v_link.n < v_link.size then
      return (v_link.first_id, 'removed',
              pg_catalog.format('lane %s position %s: %s of the %s rows of this link are missing', v_lane,
                                v_link.seq, v_link.size - v_link.n, v_link.size))::audit.chain_fault;
    end if;
    if v_link.sizes = 1 and v_link.n > v_link.size then
      return (v_link.first_id, 'out_of_order',
              pg_catalog.format('lane %s position %s: %s row(s) too many in this link', v_lane,
                                v_link.seq, v_link.n - v_link.size))::audit.chain_fault;
    end if;
    if v_link.bad_id is not null then
      return (v_link.bad_id, 'altered',
              pg_catalog.format('lane %s position %s: content does not match its hash', v_lane, v_link.seq))::audit.chain_fault;
    end if;
    if v_link.sizes > 1 or v_link.prevs > 1 or v_link.hashes > 1 or v_link.link_hash is distinct from v_link.hash then
      return (v_link.first_id, 'altered',
              pg_catalog.format('lane %s position %s: the link hash does not match its rows', v_lane, v_link.seq))::audit.chain_fault;
    end if;
    if v_link.prev_hash is distinct from v_prev then
      return (v_link.first_id, 'altered',
              pg_catalog.format('lane %s position %s: the link to the previous row is broken', v_lane, v_link.seq))::audit.chain_fault;
    end if;
    v_prev := v_link.hash;
    v_expect := v_expect + 1;
  end loop;
  if v_lane is not null then
    v_fault := audit.lane_end_fault(v_head, v_expect - 1, v_prev);
    if v_fault.problem is not null then
      return v_fault;
    end if;
  end if;
  -- A lane whose every row is gone.
  select h.* into v_head from audit.chain_heads as h
   where h.chain_key = v_key and h.last_seq > h.anchor_seq and h.lane <> all (v_lanes)
   order by h.lane limit 1;
  if found then
    return audit.lane_end_fault(v_head, v_head.anchor_seq, v_head.anchor_hash);
  end if;
  return null;
end;
$$;

-- Existing rows: one lane per chain, one link per row in id order. The link
-- hash runs along the chain (sha256(previous hash || row hash)): a running
-- aggregate over the rows in chain order, so one statement chains them all.
-- The rows are rewritten with events_refuse_change disabled for this
-- statement only (the down runs in one transaction).
create function pg_temp.audit_chain_step(p_prev bytea, p_row_hash bytea)
returns bytea
language sql
immutable
as $$
  select pg_catalog.sha256(coalesce(p_prev, '\x'::bytea) || p_row_hash)
$$;
create aggregate pg_temp.audit_chain_hash(bytea) (sfunc = pg_temp.audit_chain_step, stype = bytea);

alter table audit.events disable trigger events_refuse_change;
update audit.events as e
   set chain_lane = c.lane, chain_seq = c.seq, link_size = 1,
       prev_hash = c.prev_hash, hash = c.hash, row_hash = c.row_hash
  from (select h.id, h.occurred_at, h.lane, h.seq, h.row_hash, h.hash,
               pg_catalog.lag(h.hash) over (partition by h.chain_key order by h.seq) as prev_hash
          from (select r.*, pg_temp.audit_chain_hash(r.row_hash) over (partition by r.chain_key order by r.seq) as hash
                  from (select n.id, n.occurred_at, n.chain_key, 1 as lane, n.seq,
                               audit.event_hash(n.id, n.occurred_at, n.tenant_id, n.actor_id, n.actor_role, n.action,
                                 n.resource_type, n.resource_id, n.ip_address, n.user_agent, n.request_id, n.outcome,
                                 n.changed_columns, n.old_values, n.new_values, n.details, 1, n.seq, 1) as row_hash
                          from (select x.*, coalesce(x.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid) as chain_key,
                                       pg_catalog.row_number() over (partition by coalesce(x.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)
                                                                     order by x.id) as seq
                                  from audit.events as x) as n) as r) as h) as c
 where e.id = c.id and e.occurred_at = c.occurred_at;
alter table audit.events enable trigger events_refuse_change;

-- Each lane's head: its last position and hash (no anchor: the rebuilt chain
-- starts at the oldest row kept).
insert into audit.chain_heads (chain_key, lane, last_seq, last_hash)
select distinct on (1) coalesce(e.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid), e.chain_lane, e.chain_seq, e.hash
  from audit.events as e
 order by 1, e.chain_seq desc;

alter table audit.events
  alter column chain_lane set not null,
  alter column chain_seq set not null,
  alter column link_size set not null,
  alter column hash set not null,
  alter column row_hash set not null;
drop aggregate pg_temp.audit_chain_hash(bytea);
drop function pg_temp.audit_chain_step(bytea, bytea);

-- triggers
create constraint trigger chain_heads_flush
  after insert or update on audit.chain_heads
  deferrable initially deferred
  for each row when (new.pending)
  execute function audit.flush_chain_head();
