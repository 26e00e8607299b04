-- A seal's hash covers its first and last times as well as its rows.
-- verify_chain excuses a row that is gone when its seal ended before the
-- retention cutoff (the month was dropped). The seal's last_at was not in its
-- hash, so whoever could delete audit rows (a superuser) could delete some,
-- move their seal's times back before the cutoff and leave the chain
-- verifying, even against an exported head hash. Seals are now hashed as
-- sha256(prev_hash || row hashes || the two times), and verify_chain checks
-- that; seals made before this migration (rows only) still verify as they
-- were made, their times uncovered as before. A seal cannot pass for the
-- older kind without a new hash, which breaks the next seal's link.
--
-- Functions: audit.seal_times(timestamptz, timestamptz) (new),
--            audit.seal_range(xid8, xid8), audit.verify_chain(uuid) (new bodies)
-- Comments: audit.seals

-- functions
-- The bytes a seal's hash covers for its time span: its first and last
-- occurred_at in epoch microseconds (as the row hashes write times, so the
-- session time zone does not matter).
create function audit.seal_times(p_first_at timestamptz, p_last_at timestamptz)
returns bytea
language sql
immutable
set search_path = ''
as $$
  select pg_catalog.convert_to(pg_catalog.json_build_array((extract(epoch from p_first_at) * 1000000)::bigint,
                                                           (extract(epoch from p_last_at) * 1000000)::bigint)::text, 'UTF8')
$$;
revoke execute on function audit.seal_times(timestamptz, timestamptz) from public;

-- Appends the seals of the rows written by transactions p_from <= tx <
-- p_below, per chain in id order, each chain continuing from its last seal.
-- A seal's hash covers its rows' hashes and its first and last times.
-- Returns the number of rows sealed. Internal: audit.seal() picks the range
-- (tests seal their own transaction's rows with it; no grants).
create or replace function audit.seal_range(p_from xid8, p_below xid8)
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
    v_hash := pg_catalog.sha256(coalesce(v_prev, '\x'::bytea) || v_joined || audit.seal_times(v_first_at, v_last_at));
    insert into audit.seals (chain_key, seq, first_at, last_at, event_ids, row_hashes, prev_hash, hash)
    values (v_key, v_seq, v_first_at, v_last_at, v_ids, v_hashes, v_prev, v_hash);
    v_prev := v_hash;
    v_sealed := v_sealed + pg_catalog.cardinality(v_ids);
  end loop;
  return v_sealed;
end;
$$;

-- Walks a tenant's chain (null: the platform chain) and returns the first
-- fault, or null when every sealed row is intact:
--   removed       a seal is missing (event_id null when the chain ends early is
--                 not detectable here: export the last seal hash, see the
--                 README), or a row a seal names is gone
--   altered       a seal's hash or link does not match (its times are hashed
--                 too: a seal moved back before the retention cutoff would
--                 excuse its missing rows), or a row's content no longer
--                 matches the hash its seal holds
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
           pg_catalog.sha256(coalesce(s.prev_hash, '\x'::bytea) || r.joined || audit.seal_times(s.first_at, s.last_at)) as computed,
           pg_catalog.sha256(coalesce(s.prev_hash, '\x'::bytea) || r.joined) as computed_untimed
      from audit.seals as s
      cross join lateral (select pg_catalog.string_agg(h, ''::bytea order by o) as joined
                            from pg_catalog.unnest(s.row_hashes) with ordinality as u (h, o)) as r
     where s.chain_key = v_key
     order by s.seq
  loop
    if v_seal.seq <> v_expect then
      return (v_seal.first_id, 'removed',
              pg_catalog.format('seal %s: %s seal(s) missing before it', v_seal.seq, v_seal.seq - v_expect))::audit.chain_fault;
    end if;
    -- seals made before 20261127000900 hashed their rows only (their times
    -- are not covered); a seal hashed with its times matches only with them
    if v_seal.prev_hash is distinct from v_prev
       or (v_seal.hash is distinct from v_seal.computed and v_seal.hash is distinct from v_seal.computed_untimed) then
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


-- comments
comment on table audit.seals is
  'Hash chain over audit.events, appended by audit.seal(): hash = sha256(prev_hash || row_hashes in order || audit.seal_times(first_at, last_at)).';
