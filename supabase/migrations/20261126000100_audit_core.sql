-- Audit core: one append-only, hash-chained, month-partitioned event table in
-- a schema PostgREST does not expose, fed by a generic change trigger (attached
-- per table with one line: select audit.track('public.<table>')) and by one
-- entry point for security events. Sections: schemas, types, tables, functions,
-- triggers (a trigger needs its function, so triggers come last here).
--
-- Schemas:   audit
-- Tables:    audit.events (partitioned by month on occurred_at; default partition
--            audit.events_default), audit.chain_heads, audit.settings
-- Triggers:  audit.events: events_refuse_change (before update/delete, per row),
--            events_refuse_truncate (before truncate, on the parent and on every
--            partition); audit.chain_heads: chain_heads_flush (deferred constraint
--            trigger that writes a lane's final state once per transaction)
-- Functions: audit.refuse_change(), audit.redact(jsonb), audit.safe_inet(text),
--            audit.request_context(), audit.event_hash(...), audit.chain_next(uuid),
--            audit.chain_commit(...), audit.append_event(...), audit.flush_chain_head(),
--            audit.record_event(...), audit.row_change(), audit.untrack(regclass),
--            audit.track(regclass), audit.ensure_partitions(int),
--            audit.drop_partitions_older_than(interval), audit.lane_end_fault(...),
--            audit.verify_chain(uuid)
-- Types:     audit.chain_fault, audit.chain_link
-- Policies:  none: RLS is enabled on every audit table and no policy exists, so only
--            the owner (through the security definer functions) reads or writes.
--
-- Tamper evidence (see the README): events form hash chains, one per tenant
-- (tenant_id null: the platform chain, key 00000000-0000-0000-0000-000000000000).
-- A link is what one statement wrote for one tenant (one row for a security
-- event, every row of a bulk insert/update/delete for a table): each row keeps
-- row_hash = sha256(canonical content, including its id, time, lane, position
-- and link size), and the link hash = sha256(prev link hash || row hashes in id
-- order) is stored on each of its rows. A chain is split into lanes: a writer
-- locks one free lane head of its tenant (`for update skip locked`) and keeps it
-- until commit, so writers of different tenants never meet and concurrent
-- writers of one tenant take different lanes instead of queueing (a new lane is
-- opened when all are busy). The lane's running state (position, hash) lives in
-- a transaction-local setting and is written to the head row once, at commit, by
-- a deferred constraint trigger, so bulk work never updates one row repeatedly.
-- An attacker with superuser rights could rewrite a whole lane tail and its head
-- consistently; periodically exporting the chain heads (last_hash per lane) to
-- storage the database cannot write closes that gap.
--
-- Retention: audit.settings.retention (default 7 years, the longest Kenyan
-- statutory period for employment and tax records). audit.drop_partitions_older_than()
-- drops whole monthly partitions past it, records an anchor per lane so the
-- surviving chain still verifies, and writes an `audit.retention_purge` event.
-- Schedule audit.ensure_partitions(3) and audit.drop_partitions_older_than()
-- monthly (pg_cron on Supabase).

-- schemas
create schema audit;
revoke all on schema audit from public, anon, authenticated;
grant usage on schema audit to service_role;

-- types
-- What audit.verify_chain reports: the first faulty row and why.
create type audit.chain_fault as (event_id bigint, problem text, detail text);
-- One link of a chain as verify_chain reads it (a declared type, so the loop
-- over its dynamic query is checkable by plpgsql_check).
create type audit.chain_link as (
  lane integer, seq bigint, first_id bigint, last_id bigint, n integer, size integer,
  sizes bigint, prevs bigint, hashes bigint, prev_hash bytea, hash bytea, bad_id bigint, link_hash bytea
);

-- tables
create sequence audit.events_id_seq as bigint;
revoke all on sequence audit.events_id_seq from public, anon, authenticated, service_role;

create table audit.events (
  id bigint not null default nextval('audit.events_id_seq'),
  occurred_at timestamptz not null default clock_timestamp(),
  tenant_id uuid,
  actor_id uuid,
  actor_role text,
  action text not null check (action <> '' and length(action) <= 200),
  resource_type text,
  resource_id text,
  ip_address inet,
  user_agent text,
  request_id text,
  outcome text not null default 'success' check (outcome in ('success', 'denied', 'error')),
  changed_columns text[],
  old_values jsonb,
  new_values jsonb,
  details jsonb not null default '{}',
  chain_lane integer not null,
  chain_seq bigint not null,
  link_size integer not null check (link_size > 0),
  prev_hash bytea,
  hash bytea not null,
  row_hash bytea not null,
  primary key (id, occurred_at)
) partition by range (occurred_at);
alter sequence audit.events_id_seq owned by audit.events.id;
comment on table audit.events is
  'Append-only audit trail. Protected columns (kra_pin*, national_id*, phone*, bank_account*) appear in changed_columns but their values are "[redacted]".';
create index events_tenant_id_idx on audit.events (tenant_id, id);
-- An employee's own access log (security events about resource 'employee'); row
-- changes name the table ('employees') and are read through the tenant index.
create index events_employee_resource_idx on audit.events (resource_id, id) where resource_type = 'employee';
create table audit.events_default partition of audit.events default;
alter table audit.events enable row level security;
alter table audit.events_default enable row level security;
revoke all on audit.events, audit.events_default from public, anon, authenticated, service_role;

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

create table audit.settings (
  id boolean primary key default true check (id),
  retention interval not null default interval '7 years' check (retention >= interval '1 month'),
  updated_at timestamptz not null default now()
);
comment on table audit.settings is
  'Single row. retention: how long audit partitions are kept before audit.drop_partitions_older_than() may drop them.';
insert into audit.settings default values;
alter table audit.settings enable row level security;
revoke all on audit.settings from public, anon, authenticated, service_role;

-- functions
create function audit.refuse_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'audit events are append-only: % refused', tg_op
    using errcode = 'insufficient_privilege',
          hint = 'Audit rows can only be added; retention drops whole partitions.';
end;
$$;
revoke execute on function audit.refuse_change() from public;

-- Replaces the value of every protected column (kra_pin*, national_id*, phone*,
-- bank_account*) and of anything named like a secret (*token*, *secret*,
-- *password*) by "[redacted]"; null stays null (it shows the field is empty).
create function audit.redact(p_values jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_object_agg(e.key,
           case when e.key ~ '^(kra_pin|national_id|phone|bank_account)|token|secret|password'
                 and pg_catalog.jsonb_typeof(e.value) <> 'null'
                then '"[redacted]"'::jsonb else e.value end), '{}'::jsonb)
  from pg_catalog.jsonb_each(p_values) as e
$$;
revoke execute on function audit.redact(jsonb) from public;

-- An address from a header, or null when it is not a valid address (never an error).
create function audit.safe_inet(p_value text)
returns inet
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_value is null or p_value = '' or length(p_value) > 64 then
    return null;
  end if;
  if p_value ~ '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$' then
    return p_value::inet;
  end if;
  if p_value !~ '^[0-9A-Fa-f:.]+$' then
    return null;
  end if;
  begin
    return p_value::inet;
  exception when others then
    return null;
  end;
end;
$$;
revoke execute on function audit.safe_inet(text) from public;

-- Who and from where, as PostgREST (and the functions) describe the request:
-- request.jwt.claims (sub, role) and request.headers (lower-case header names).
-- The role is the claim, else the SET ROLE in force, else the database user.
create function audit.request_context(
  out actor_id uuid, out actor_role text, out ip_address inet,
  out user_agent text, out request_id text)
language plpgsql
stable
set search_path = ''
as $$
declare
  v_claims jsonb := nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb;
  v_headers jsonb := nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb;
  v_sub text;
begin
  v_sub := coalesce(nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), ''), v_claims ->> 'sub');
  if v_sub ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    actor_id := v_sub::uuid;
  end if;
  actor_role := coalesce(v_claims ->> 'role',
                         nullif(pg_catalog.current_setting('role'), 'none'),
                         session_user::text);
  if v_headers is not null and pg_catalog.jsonb_typeof(v_headers) = 'object' then
    ip_address := audit.safe_inet(pg_catalog.btrim(pg_catalog.split_part(v_headers ->> 'x-forwarded-for', ',', 1)));
    user_agent := pg_catalog.left(v_headers ->> 'user-agent', 512);
    request_id := pg_catalog.left(v_headers ->> 'x-request-id', 128);
  end if;
end;
$$;
revoke execute on function audit.request_context() from public;

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
-- or a free lane (for update skip locked), or a new lane. Internal: called only
-- by the security definer functions below (runs as their owner; no grants).
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
create function audit.append_event(
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
revoke execute on function audit.append_event(uuid, uuid, text, text, text, text, inet, text, text, text, text[], jsonb, jsonb, jsonb) from public;

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

-- The one entry point for security events from the functions (rejected tokens,
-- authorization failures, PII reveals, admin actions, key rotations, exports).
-- Actor, ip, user agent and request id default to the request settings.
create function audit.record_event(
  action text,
  outcome text default 'success',
  tenant_id uuid default null,
  resource_type text default null,
  resource_id text default null,
  details jsonb default '{}',
  actor_id uuid default null,
  actor_role text default null,
  ip_address inet default null,
  user_agent text default null,
  request_id text default null)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ctx record;
begin
  if record_event.action is null or record_event.action !~ '^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$' then
    raise exception 'audit action must be a dotted lower-case name'
      using errcode = 'invalid_parameter_value',
            hint = 'For example auth.token_rejected or employee.pii_revealed.';
  end if;
  if record_event.outcome is null or record_event.outcome not in ('success', 'denied', 'error') then
    raise exception 'audit outcome must be success, denied or error'
      using errcode = 'invalid_parameter_value', hint = 'Pass outcome => ''denied'' for a refusal.';
  end if;
  if record_event.details is not null and pg_catalog.jsonb_typeof(record_event.details) <> 'object' then
    raise exception 'audit details must be a JSON object'
      using errcode = 'invalid_parameter_value', hint = 'Pass details => ''{}''::jsonb.';
  end if;
  select * into v_ctx from audit.request_context();
  return audit.append_event(
    record_event.tenant_id,
    coalesce(record_event.actor_id, v_ctx.actor_id),
    coalesce(record_event.actor_role, v_ctx.actor_role),
    record_event.action,
    record_event.resource_type,
    record_event.resource_id,
    coalesce(record_event.ip_address, v_ctx.ip_address),
    coalesce(record_event.user_agent, v_ctx.user_agent),
    coalesce(record_event.request_id, v_ctx.request_id),
    record_event.outcome,
    null, null, null,
    audit.redact(coalesce(record_event.details, '{}'::jsonb)));
end;
$$;
revoke execute on function audit.record_event(text, text, uuid, text, text, jsonb, uuid, text, inet, text, text) from public, anon, authenticated;
grant execute on function audit.record_event(text, text, uuid, text, text, jsonb, uuid, text, inet, text, text) to service_role;

-- Generic change trigger (attach with audit.track). Statement-level with
-- transition tables: one set-based insert per statement instead of one
-- function call per row. Each statement becomes one link per tenant chain
-- (link_size rows sharing one link hash). Inserts and deletes record the
-- whole row; updates only the columns that changed; an updated row whose only
-- change is updated_at writes no event. Protected and secret columns are
-- recorded (as changed, for updates) with the value "[redacted]", whether or
-- not they hold a value. resource_id is the primary
-- key (audit.track passes its columns as trigger arguments). Plans are
-- generic (the query shapes do not depend on the values) so a one-row
-- statement does not pay for re-planning; JIT is off (it only costs here).
create function audit.row_change()
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
revoke execute on function audit.row_change() from public;

create function audit.untrack(p_table regclass)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_trigger text;
begin
  for v_trigger in
    select t.tgname from pg_catalog.pg_trigger as t
     where t.tgrelid = p_table and t.tgfoid = 'audit.row_change()'::pg_catalog.regprocedure
  loop
    execute pg_catalog.format('drop trigger %I on %s', v_trigger, p_table);
  end loop;
end;
$$;
revoke execute on function audit.untrack(regclass) from public;

-- One line per table: select audit.track('public.employees');
-- Creates <table>_audit_insert, <table>_audit_update, <table>_audit_delete
-- (after, for each statement, with transition tables) and <table>_audit_truncate.
-- The table needs a primary key (it becomes resource_id); re-run after changing it.
create function audit.track(p_table regclass)
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
revoke execute on function audit.track(regclass) from public;

-- Creates the monthly partitions from this month to months_ahead months ahead
-- (idempotent). A month whose rows already fell into the default partition is
-- left there (a partition cannot be carved out of it without moving rows).
create function audit.ensure_partitions(months_ahead integer default 3)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_start date;
  v_name text;
  v_created integer := 0;
begin
  if months_ahead is null or months_ahead < 0 or months_ahead > 120 then
    raise exception 'months_ahead must be between 0 and 120'
      using errcode = 'invalid_parameter_value', hint = 'Pass for example 3.';
  end if;
  for i in 0..months_ahead loop
    v_start := (pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'UTC') + pg_catalog.make_interval(months => i))::date;
    v_name := 'events_' || pg_catalog.to_char(v_start, 'YYYY_MM');
    continue when exists (select from pg_catalog.pg_class as c
                           where c.relnamespace = 'audit'::regnamespace and c.relname = v_name);
    continue when exists (select from audit.events_default as d
                           where d.occurred_at >= (v_start::timestamp at time zone 'UTC')
                             and d.occurred_at < ((v_start + interval '1 month')::timestamp at time zone 'UTC'));
    execute pg_catalog.format(
      'create table audit.%I partition of audit.events for values from (%L) to (%L)',
      v_name, v_start::timestamp at time zone 'UTC', (v_start + interval '1 month')::timestamp at time zone 'UTC');
    execute pg_catalog.format('alter table audit.%I enable row level security', v_name);
    execute pg_catalog.format('revoke all on audit.%I from public, anon, authenticated, service_role', v_name);
    execute pg_catalog.format(
      'create trigger events_refuse_truncate before truncate on audit.%I for each statement execute function audit.refuse_change()',
      v_name);
    v_created := v_created + 1;
  end loop;
  return v_created;
end;
$$;
revoke execute on function audit.ensure_partitions(integer) from public, anon, authenticated;
grant execute on function audit.ensure_partitions(integer) to service_role;

-- Drops the monthly partitions that ended before now() - age (default: the
-- retention setting). Before dropping, each lane remembers its last dropped link
-- as anchor, so audit.verify_chain still proves the remaining rows.
create function audit.drop_partitions_older_than(age interval default null)
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
revoke execute on function audit.drop_partitions_older_than(interval) from public, anon, authenticated;
grant execute on function audit.drop_partitions_older_than(interval) to service_role;

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

create function audit.verify_chain(tenant_id uuid)
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
revoke execute on function audit.verify_chain(uuid) from public, anon, authenticated;
grant execute on function audit.verify_chain(uuid) to service_role;

-- triggers
create trigger events_refuse_change
  before update or delete on audit.events
  for each row execute function audit.refuse_change();
create trigger events_refuse_truncate
  before truncate on audit.events
  for each statement execute function audit.refuse_change();
create trigger events_refuse_truncate
  before truncate on audit.events_default
  for each statement execute function audit.refuse_change();
create constraint trigger chain_heads_flush
  after insert or update on audit.chain_heads
  deferrable initially deferred
  for each row when (new.pending)
  execute function audit.flush_chain_head();

-- partitions for this month and the next three
select audit.ensure_partitions(3);
