-- Audit hash chain moved off the write path (issue 4: 8 concurrent writers,
-- bulk writes). A writer now appends plain rows; a sealer chains them.
--
-- Tables:    audit.events (chain_lane, chain_seq, link_size, prev_hash, hash
--            and row_hash dropped; tx added: the writing transaction, indexed),
--            audit.seals (new), audit.sealer (new, one row), audit.chain_heads
--            (dropped)
-- Functions: audit.event_hash_sql(text), audit.seal_range(xid8, xid8), audit.seal(),
--            audit.verify_chain(uuid)
--            (new body, same signature), audit.append_event(...),
--            audit.change_sql(...), audit.row_change(),
--            audit.drop_partitions_older_than(interval) (replaced);
--            audit.event_hash(...), audit.chain_next(uuid), audit.chain_commit(...),
--            audit.flush_chain_head(), audit.lane_end_fault(...) (dropped)
-- Types:     audit.chain_link (dropped)
--
-- Why: with the chain on the write path every audited statement took a lane
-- (a row lock and a deferred head update at commit), hashed its rows and kept
-- the lane state in a setting: about 0.9 ms of a 1.35 ms insert-update-commit
-- transaction of one writer; a plain row insert is a fifth of that. Bulk
-- statements spent most of their audit time building the hashed JSON text.
--
-- How it works now:
--   - writers (the table triggers, audit.append_event, so record_event and the
--     Auth hooks) insert rows; each row records its transaction (tx, xid8).
--     Writers take no lock besides their own row's, so no two writers wait for
--     each other, whatever their tenants;
--   - audit.seal() (pg_cron every few seconds on Supabase; the local stack
--     runs it too) takes every row of the transactions that finished since its
--     last run (tx below the oldest transaction still running, so none can
--     still add rows there), and appends, per tenant chain, month and block of
--     10,000 ids, one seal: the row ids in id order, each row's hash (sha256 of
--     its canonical content, audit.event_hash_sql), and hash = sha256(previous
--     seal's hash || the row hashes). One sealer runs at a time; it never
--     waits for writers and writers never wait for it;
--   - audit.verify_chain(tenant) checks the chain of seals and every sealed
--     row: a row altered (its hash differs), removed (a sealed id is gone),
--     or inserted into the sealed past (a row of a sealed transaction that no
--     seal names) is named.
-- The price: a row is covered by the chain from the next seal on (seconds),
-- not from its commit. Until then it is protected like every audit row by
-- privileges and the refuse_change triggers, but a superuser's edit of a row
-- written in the last seconds would go unnoticed. Sealed rows keep the old
-- guarantee.
-- Existing rows: the migration first checks every chain with the old
-- verify_chain (and refuses to run on a broken one), then gives the rows this
-- transaction as tx, so the first seal after it covers them.

-- Refuse to drop the old chain over rows it shows were tampered with.
do $$
declare
  v_key uuid;
  v_fault audit.chain_fault;
begin
  -- every chain that has a head or a row (a chain whose heads were deleted included)
  for v_key in select h.chain_key from audit.chain_heads as h
               union
               select coalesce(e.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid) from audit.events as e loop
    v_fault := audit.verify_chain(nullif(v_key, '00000000-0000-0000-0000-000000000000'::uuid));
    if v_fault.problem is not null then
      raise exception 'audit chain % is broken at event %: % (%)', v_key, v_fault.event_id, v_fault.problem, v_fault.detail
        using errcode = 'data_corrupted', hint = 'Investigate before migrating: the new seals would cover the damage.';
    end if;
  end loop;
end;
$$;

-- functions (the old chain, dropped with what uses it)
drop trigger chain_heads_flush on audit.chain_heads;
drop function audit.flush_chain_head();
drop function audit.lane_end_fault(audit.chain_heads, bigint, bytea);
drop function audit.chain_commit(uuid, integer, bigint, bytea);
drop function audit.chain_next(uuid);
drop function audit.event_hash(bigint, timestamptz, uuid, uuid, text, text, text, text, inet, text, text, text, text[], jsonb, jsonb, jsonb, integer, bigint, integer);
drop type audit.chain_link;

-- tables
drop table audit.chain_heads;
alter table audit.events
  drop column chain_lane,
  drop column chain_seq,
  drop column link_size,
  drop column prev_hash,
  drop column hash,
  drop column row_hash,
  add column tx xid8 not null default pg_catalog.pg_current_xact_id();
comment on column audit.events.tx is
  'The transaction that wrote the row: audit.seal() seals the rows of finished transactions.';
create index events_tx_idx on audit.events (tx);

-- One link of a tenant's chain (tenant null: the platform chain, key
-- 00000000-0000-0000-0000-000000000000): its rows of one month and one block of
-- 10,000 ids (so a seal stays small and within one monthly partition).
create table audit.seals (
  chain_key uuid not null,
  seq bigint not null check (seq > 0),
  sealed_at timestamptz not null default pg_catalog.clock_timestamp(),
  first_at timestamptz not null,
  last_at timestamptz not null,
  event_ids bigint[] not null,
  row_hashes bytea[] not null,
  prev_hash bytea,
  hash bytea not null,
  primary key (chain_key, seq),
  check (pg_catalog.cardinality(event_ids) > 0 and pg_catalog.cardinality(event_ids) = pg_catalog.cardinality(row_hashes))
);
-- the arrays are incompressible hashes and ids: stored out of line as they are
alter table audit.seals alter column event_ids set storage external, alter column row_hashes set storage external;
comment on table audit.seals is
  'Hash chain over audit.events, appended by audit.seal(): hash = sha256(prev_hash || row_hashes in order).';
alter table audit.seals enable row level security;
revoke all on audit.seals from public, anon, authenticated, service_role;

-- The sealer's progress: every row with tx below sealed_below is sealed.
-- purged_before: retention dropped the rows before it (their seals stay, so
-- the chain still links; verify_chain no longer looks for those rows).
create table audit.sealer (
  id boolean primary key default true check (id),
  sealed_below xid8 not null default '0'::xid8,
  sealed_at timestamptz,
  purged_before timestamptz
);
comment on table audit.sealer is
  'Single row. sealed_below: audit.seal() has sealed every row of a transaction below it.';
insert into audit.sealer default values;
alter table audit.sealer enable row level security;
revoke all on audit.sealer from public, anon, authenticated, service_role;

-- functions
-- The row hash of an audit.events row named by p_alias, as an SQL expression:
-- sha256 of a JSON array of the scalar fields (time in epoch microseconds, so
-- the session time zone does not matter), then the old and new values as
-- jsonb text, separated by a control character JSON text always escapes.
-- audit.seal and audit.verify_chain both build their statements with it (an
-- expression inline costs nothing per row; a function call would).
create function audit.event_hash_sql(p_alias text)
returns text
language sql
immutable
set search_path = ''
as $$
  select pg_catalog.replace(
    'pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.json_build_array('
    || 'E.id, (extract(epoch from E.occurred_at) * 1000000)::bigint, E.tenant_id, E.actor_id, '
    || 'E.actor_role, E.action, E.resource_type, E.resource_id, E.ip_address::text, E.user_agent, '
    || 'E.request_id, E.outcome, E.changed_columns, E.details, E.tx::text)::text '
    || '|| pg_catalog.chr(30) || coalesce(E.old_values::text, ''null'') '
    || '|| pg_catalog.chr(30) || coalesce(E.new_values::text, ''null''), ''UTF8''))',
    'E.', pg_catalog.quote_ident(p_alias) || '.')
$$;
revoke execute on function audit.event_hash_sql(text) from public;

-- Appends the seals of the rows written by transactions p_from <= tx <
-- p_below, per chain in id order, each chain continuing from its last seal.
-- Returns the number of rows sealed. Internal: audit.seal() picks the range
-- (tests seal their own transaction's rows with it; no grants).
create function audit.seal_range(p_from xid8, p_below xid8)
returns integer
language plpgsql
set search_path = ''
set jit = off
set work_mem = '64MB'
as $$
declare
  v_chain uuid;
  v_ids bigint[];
  v_hashes bytea[];
  v_joined bytea;
  v_first_at timestamptz;
  v_last_at timestamptz;
  v_key uuid;
  v_seq bigint;
  v_prev bytea;
  v_hash bytea;
  v_sealed integer := 0;
begin
  for v_chain, v_ids, v_hashes, v_joined, v_first_at, v_last_at in execute pg_catalog.format(
    'select b.chain_key, pg_catalog.array_agg(b.id order by b.id) as ids,
            pg_catalog.array_agg(b.row_hash order by b.id) as hashes,
            pg_catalog.string_agg(b.row_hash, ''''::bytea order by b.id) as joined,
            min(b.occurred_at) as first_at, max(b.occurred_at) as last_at
       from (select coalesce(e.tenant_id, ''00000000-0000-0000-0000-000000000000''::uuid) as chain_key,
                    pg_catalog.date_trunc(''month'', e.occurred_at at time zone ''UTC'') as month,
                    e.id / 10000 as chunk, e.id, e.occurred_at, %s as row_hash
               from audit.events as e
              where e.tx >= $1 and e.tx < $2
             offset 0) as b
      group by b.chain_key, b.month, b.chunk
      order by b.chain_key, b.month, b.chunk', audit.event_hash_sql('e'))
    using p_from, p_below
  loop
    if v_key is distinct from v_chain then
      v_key := v_chain;
      select s.seq, s.hash into v_seq, v_prev
        from audit.seals as s where s.chain_key = v_key order by s.seq desc limit 1;
      v_seq := coalesce(v_seq, 0);
    end if;
    v_seq := v_seq + 1;
    v_hash := pg_catalog.sha256(coalesce(v_prev, '\x'::bytea) || v_joined);
    insert into audit.seals (chain_key, seq, first_at, last_at, event_ids, row_hashes, prev_hash, hash)
    values (v_key, v_seq, v_first_at, v_last_at, v_ids, v_hashes, v_prev, v_hash);
    v_prev := v_hash;
    v_sealed := v_sealed + pg_catalog.cardinality(v_ids);
  end loop;
  return v_sealed;
end;
$$;
revoke execute on function audit.seal_range(xid8, xid8) from public;

-- Seals the rows of every transaction that finished since the last run (see
-- the header): those below the oldest transaction still running, which no
-- transaction can add to any more. Returns the number of rows sealed; 0 at
-- once when another sealer is running. pg_cron (or the local stack) calls it.
create function audit.seal()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_from xid8;
  v_below xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
  v_sealed integer;
begin
  select s.sealed_below into v_from from audit.sealer as s for update skip locked;
  if not found then
    if not exists (select from audit.sealer) then
      raise exception 'audit.sealer has no row: nothing can be sealed'
        using errcode = 'data_corrupted', hint = 'Someone deleted it; restore it from the last seals and investigate.';
    end if;
    return 0;  -- another sealer is running
  end if;
  if v_below <= v_from then
    return 0;
  end if;
  v_sealed := audit.seal_range(v_from, v_below);
  update audit.sealer set sealed_below = v_below, sealed_at = pg_catalog.clock_timestamp();
  return v_sealed;
end;
$$;
revoke execute on function audit.seal() from public, anon, authenticated;
grant execute on function audit.seal() to service_role;

-- Walks a tenant's chain (null: the platform chain) and returns the first
-- fault, or null when every sealed row is intact:
--   removed       a seal is missing (event_id null when the chain ends early is
--                 not detectable here: export the last seal hash, see the
--                 README), or a row a seal names is gone
--   altered       a seal's hash or link does not match, or a row's content no
--                 longer matches the hash its seal holds
--   out_of_order  a row of an already sealed transaction that no seal names
--                 (inserted into the past), a row named by two seals, or a
--                 row naming a transaction that has not started (forged)
-- Rows written since the last audit.seal() are not checked yet.
create or replace function audit.verify_chain(tenant_id uuid)
returns audit.chain_fault
language plpgsql
stable
security definer
set search_path = ''
set jit = off
set work_mem = '64MB'
as $$
declare
  v_key uuid := coalesce(verify_chain.tenant_id, '00000000-0000-0000-0000-000000000000'::uuid);
  v_sealer audit.sealer;
  v_seal record;
  v_prev bytea;
  v_expect bigint := 1;
  v_fault audit.chain_fault;
  v_xmax xid8 := pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot());
  v_own xid8 := pg_catalog.pg_current_xact_id_if_assigned();
  v_purged timestamptz;
begin
  select s.* into v_sealer from audit.sealer as s;
  -- Retention excuses missing rows only before the oldest monthly partition
  -- still there (the catalog's word, not just the sealer row's).
  v_purged := least(v_sealer.purged_before,
    (select min((pg_catalog.regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz)
       from pg_catalog.pg_inherits as i
       join pg_catalog.pg_class as c on c.oid = i.inhrelid
      where i.inhparent = 'audit.events'::regclass and c.relname <> 'events_default'));
  -- the chain of seals
  for v_seal in
    select s.seq, s.event_ids[1] as first_id, s.prev_hash, s.hash,
           pg_catalog.sha256(coalesce(s.prev_hash, '\x'::bytea)
                             || (select pg_catalog.string_agg(h, ''::bytea order by o)
                                   from pg_catalog.unnest(s.row_hashes) with ordinality as u (h, o))) as computed
      from audit.seals as s
     where s.chain_key = v_key
     order by s.seq
  loop
    if v_seal.seq <> v_expect then
      return (v_seal.first_id, 'removed',
              pg_catalog.format('seal %s: %s seal(s) missing before it', v_seal.seq, v_seal.seq - v_expect))::audit.chain_fault;
    end if;
    if v_seal.prev_hash is distinct from v_prev or v_seal.hash is distinct from v_seal.computed then
      return (v_seal.first_id, 'altered',
              pg_catalog.format('seal %s: its hash or its link to the previous seal does not match', v_seal.seq))::audit.chain_fault;
    end if;
    v_prev := v_seal.hash;
    v_expect := v_expect + 1;
  end loop;

  -- every sealed row against its seal, in chain order (rows retention dropped
  -- may be missing; a row still there is always checked)
  execute pg_catalog.format(
    'select u.id, case when e.id is null then ''removed'' else ''altered'' end,
            pg_catalog.format(''seal %%s: %%s'', s.seq, case when e.id is null then ''the row is gone''
                                                            else ''its content does not match its hash'' end)
       from audit.seals as s
       cross join lateral rows from (pg_catalog.unnest(s.event_ids), pg_catalog.unnest(s.row_hashes)) with ordinality as u (id, row_hash, o)
       left join audit.events as e on e.id = u.id and e.tenant_id is not distinct from $1
      where s.chain_key = $2
        and (case when e.id is null then s.last_at >= $3 or $3 is null
                  else %s is distinct from u.row_hash end)
      order by s.seq, u.o
      limit 1', audit.event_hash_sql('e'))
    into v_fault
    using verify_chain.tenant_id, v_key, v_purged;
  if v_fault.problem is not null then
    return v_fault;
  end if;

  -- rows of sealed transactions that no seal names, or that two seals name,
  -- and rows no transaction can have written yet (a forged future tx would
  -- otherwise wait forever, unsealed and unchecked). The snapshot's xmax is
  -- one past the last finished transaction: of the rows this query sees, only
  -- this transaction's own may name one at or past it.
  select x.id, 'out_of_order',
         case when x.future then 'the row names a transaction that has not started'
              when x.times > 1 then pg_catalog.format('the row is named by %s seals', x.times)
              else 'the row is not in the seal of its transaction' end
    into v_fault
    from (select e.id, pg_catalog.count(u.id) as times,
                 e.tx >= v_xmax and e.tx is distinct from v_own as future
            from audit.events as e
            left join (select pg_catalog.unnest(s.event_ids) as id from audit.seals as s where s.chain_key = v_key) as u
              on u.id = e.id
           where e.tenant_id is not distinct from verify_chain.tenant_id
             and (e.tx < v_sealer.sealed_below or (e.tx >= v_xmax and e.tx is distinct from v_own))
           group by e.id, e.tx
          having pg_catalog.count(u.id) <> 1
              or (e.tx >= v_xmax and e.tx is distinct from v_own)) as x
   order by x.id
   limit 1;
  if v_fault.problem is not null then
    return v_fault;
  end if;
  return null;
end;
$$;

-- One event, as every writer appends it (record_event, the Auth hooks, the
-- retention purge, the change trigger's one-row path). Returns its id.
-- Internal: called by the security definer functions (no grants).
create or replace function audit.append_event(
  p_tenant_id uuid, p_actor_id uuid, p_actor_role text, p_action text,
  p_resource_type text, p_resource_id text, p_ip_address inet, p_user_agent text,
  p_request_id text, p_outcome text, p_changed_columns text[], p_old_values jsonb,
  p_new_values jsonb, p_details jsonb)
returns bigint
language sql
set search_path = ''
as $$
  insert into audit.events (tenant_id, actor_id, actor_role, action, resource_type, resource_id,
    ip_address, user_agent, request_id, outcome, changed_columns, old_values, new_values, details)
  values (p_tenant_id, p_actor_id, p_actor_role, p_action, p_resource_type, p_resource_id,
    p_ip_address, p_user_agent, p_request_id, p_outcome, p_changed_columns, p_old_values, p_new_values,
    coalesce(p_details, '{}'::jsonb))
  returning id
$$;

-- The set-based audit statement for one trigger call on p_table (p_op INSERT,
-- UPDATE or DELETE), reading the transition tables audit_new / audit_old.
-- Parameters when run: $1 actor_id, $2 actor_role, $3 action, $4 resource_type,
-- $5 user_agent, $6 request_id, $7 every column name (text[]), $8 occurred_at,
-- $9 ip_address. Internal: called only by audit.row_change (no grants).
create or replace function audit.change_sql(p_table regclass, p_op text, p_pk text[], p_tenant_col text)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_source text := case when p_op = 'INSERT' then 'audit_new' else 'audit_old' end;
  v_pk text;
  v_tenant text;
  v_missing text;
  v_image text;
  v_cols text;
  v_olds text;
  v_news text;
  v_join text;
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
  -- the row's tenant (uuid), or null
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
    return pg_catalog.format(
      'insert into audit.events (occurred_at, tenant_id, actor_id, actor_role, action, resource_type,
         resource_id, ip_address, user_agent, request_id, outcome, changed_columns, old_values, new_values)
       select $8, %1$s, $1, $2, $3, $4, %2$s, $9, $5, $6, ''success'', $7, %3$s, %4$s
         from %5$s as r cross join lateral (select %6$s) as i',
      pg_catalog.replace(v_tenant, 'ALIAS.', 'r.'), pg_catalog.replace(v_pk, 'ALIAS.', 'r.'),
      case when p_op = 'DELETE' then 'pg_catalog.to_jsonb(i)' else 'null::jsonb' end,
      case when p_op = 'INSERT' then 'pg_catalog.to_jsonb(i)' else 'null::jsonb' end,
      v_source, v_image);
  end if;

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
  return pg_catalog.format(
    'insert into audit.events (occurred_at, tenant_id, actor_id, actor_role, action, resource_type,
       resource_id, ip_address, user_agent, request_id, outcome, changed_columns, old_values, new_values)
     select $8, d.tenant_id, $1, $2, $3, $4, d.resource_id, $9, $5, $6, ''success'', d.cols,
            (''{'' || pg_catalog.array_to_string(d.olds, '', '') || ''}'')::jsonb,
            (''{'' || pg_catalog.array_to_string(d.news, '', '') || ''}'')::jsonb
       from (select coalesce(%1$s, %2$s) as tenant_id, coalesce(%3$s, %4$s) as resource_id,
                    pg_catalog.array_remove(array[%5$s]::text[], null) as cols,
                    array[%6$s]::text[] as olds, array[%7$s]::text[] as news
               from audit_new as n full join audit_old as o on %8$s) as d
      where pg_catalog.cardinality(d.cols) > 0',
    pg_catalog.replace(v_tenant, 'ALIAS.', 'n.'), pg_catalog.replace(v_tenant, 'ALIAS.', 'o.'),
    pg_catalog.replace(v_pk, 'ALIAS.', 'n.'), pg_catalog.replace(v_pk, 'ALIAS.', 'o.'), v_cols, v_olds, v_news, v_join);
end;
$$;

-- Generic change trigger (attach with audit.track). Statement-level with
-- transition tables. Inserts and deletes record the whole row; updates only
-- the columns that changed; an updated row whose only change is updated_at
-- writes no event. Protected and secret columns (names starting kra_pin,
-- national_id, phone or bank_account, or containing token, secret or
-- password) are recorded (as changed, for updates) with the value
-- "[redacted]", whether or not they hold a value. resource_id is the primary
-- key. Arguments (audit.track writes them): the primary key columns, every
-- column in name order and the redaction marks; triggers made before that
-- pass the primary key columns one per argument, and are still served.
-- A one-row statement (the usual API write) reads its row images in one query
-- (an update's diff is a second) and inserts one row; a statement of more rows
-- runs the set-based statement audit.change_sql generates for the table. The
-- hash chain is audit.seal's work, not the writer's. JIT is off (it only costs
-- here); work_mem keeps a bulk statement's diff in memory.
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
  v_n integer;
  v_images jsonb[];
  v_row jsonb;
  v_old jsonb;
  v_cols_changed text[];
  v_old_values jsonb;
  v_new_values jsonb;
  v_rid text;
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
  elsif tg_op = 'DELETE' then
    select pg_catalog.array_agg(pg_catalog.to_jsonb(o)) into v_images from (select * from audit_old limit 2) as o;
  else
    select (select pg_catalog.array_agg(pg_catalog.to_jsonb(n)) from (select * from audit_new limit 2) as n),
           (select pg_catalog.to_jsonb(o) from audit_old as o limit 1)
      into v_images, v_old;
  end if;
  v_n := pg_catalog.cardinality(v_images);
  v_row := v_images[1];
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
      insert into audit.events (tenant_id, actor_id, actor_role, action, resource_type, resource_id,
        ip_address, user_agent, request_id, outcome, changed_columns, old_values, new_values)
      values (case when tg_table_name = 'tenants' then (v_row ->> 'id')::uuid
                   when v_row ? 'tenant_id' then (v_row ->> 'tenant_id')::uuid end,
              v_actor_id, v_actor_role, v_action, v_table, v_rid,
              v_ip, v_user_agent, v_request_id, 'success', v_cols_changed, v_old_values, v_new_values);
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
  execute audit.change_sql(tg_relid, tg_op, v_pk, v_tenant_col)
    using v_actor_id, v_actor_role, v_action, v_table, v_user_agent, v_request_id,
          v_cols, pg_catalog.clock_timestamp(), v_ip;
  return null;
end;
$$;

-- Drops the monthly partitions that ended before now() - age (default: the
-- retention setting) and records how far rows were purged, so
-- audit.verify_chain still proves the remaining rows (the seals stay: the
-- chain still links).
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
  v_purged timestamptz;
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
    execute pg_catalog.format('drop table audit.%I', v_part.relname);
    v_dropped := v_dropped || v_part.relname::text;
    v_purged := v_part.upper_bound;
  end loop;
  if pg_catalog.cardinality(v_dropped) > 0 then
    update audit.sealer as s set purged_before = greatest(s.purged_before, v_purged);
    perform audit.append_event(null, null, coalesce(nullif(pg_catalog.current_setting('role'), 'none'), session_user::text),
      'audit.retention_purge', 'audit_partition', null, null, null, null, 'success', null, null, null,
      pg_catalog.jsonb_build_object('partitions', v_dropped, 'cutoff', v_cutoff));
  end if;
  return pg_catalog.cardinality(v_dropped);
end;
$$;

-- triggers
create trigger seals_refuse_change
  before update or delete on audit.seals
  for each row execute function audit.refuse_change();
create trigger seals_refuse_truncate
  before truncate on audit.seals
  for each statement execute function audit.refuse_change();

-- schedule
-- On Supabase pg_cron is preloaded: audit.seal() every 5 seconds. Elsewhere
-- (plain Postgres, this repo's Docker-free stack) npm start runs the same call
-- on the same interval (scripts/lib/audit-sealer.ts); any scheduler will do.
do $$
begin
  if exists (select from pg_catalog.pg_available_extensions where name = 'pg_cron')
     and pg_catalog.current_setting('shared_preload_libraries') ~ '(^|[ ,])pg_cron($|[ ,])' then
    create extension if not exists pg_cron;
    perform cron.schedule('audit-seal', '5 seconds', 'select audit.seal()');
  end if;
end;
$$;
