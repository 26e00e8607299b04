-- An audited insert or delete records the columns that hold a value: a
-- column left out of the image was null. A protected column is recorded as
-- "[redacted]" when it holds a value and left out when it is null (before,
-- every column was written, and every protected one marked, null or not).
-- An update stores no column list either: the keys of its images are exactly
-- the columns that changed, and audit.event_changed_columns(event) lists them,
-- as it already did for inserts and deletes.
--
-- Why: the bytes of the audit rows were the largest part of what auditing a
-- bulk write costs (heap, WAL and the memory traffic of both), and most of an
-- insert row was the keys of columns with nothing in them. An employees
-- insert row written by the audit bench: 956 bytes, 799 of them the image;
-- now the image keeps 9 of its 25 keys. Measured on the bench's bulk insert
-- of 100,000 employees (backend CPU time, four interleaved runs a side on
-- this machine): the audited insert took about 430 ms less (of about 1.3 s
-- that auditing added to it).
--
-- Readers see the same events: audit.event_changed_columns lists an insert's
-- or delete's set columns, and an update's changed columns; rows written
-- before keep their stored list and full images. Row hashes cover rows as
-- stored.
--
-- Functions: audit.track(regclass), audit.row_change(), audit.change_sql(regclass, text, text[], text),
--            audit.event_changed_columns(audit.events) (new bodies; every
--            tracked table's triggers made again by the new audit.track)
-- Comments:  audit.events.changed_columns

-- functions
-- One line per table: select audit.track('public.employees');
-- Creates <table>_audit_insert, <table>_audit_update, <table>_audit_delete
-- (after, for each statement, with transition tables) and <table>_audit_truncate.
-- The table needs a primary key (it becomes resource_id). The triggers carry
-- what a one-row statement would otherwise read from the catalog each time:
-- audit.row_change('{primary key columns}', '{every column, in name order}',
-- '{protected columns}', 'flat' or 'nested'). 'flat': every column is of a
-- built-in scalar type other than json and jsonb, so no column's JSON can hold
-- an object (json, jsonb, composite, array and domain types can, and so can an
-- extension's type with a cast to json), and dropping the image's null keys
-- is jsonb_strip_nulls. A table changed since
-- (columns added, dropped or renamed) is still recorded right: audit.row_change
-- sees that the row no longer has exactly these columns and reads the
-- catalog; re-run audit.track after such a change to get the short path back,
-- and for every tracked table when the redaction rule (see audit.row_change)
-- changes.
create or replace function audit.track(p_table regclass)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_name text := (select c.relname from pg_catalog.pg_class as c where c.oid = p_table);
  v_pk text[] := array(
    select a.attname::text
      from pg_catalog.pg_index as i
      cross join lateral pg_catalog.unnest(i.indkey) with ordinality as k (attnum, o)
      join pg_catalog.pg_attribute as a on a.attrelid = i.indrelid and a.attnum = k.attnum
     where i.indrelid = p_table and i.indisprimary
     order by k.o);
  v_cols text[];
  v_protected text[];
  v_flat boolean;
  v_args text;
begin
  if pg_catalog.cardinality(v_pk) = 0 then
    raise exception 'audit.track: % has no primary key', p_table
      using errcode = 'invalid_table_definition', hint = 'Audit rows name the changed row by its primary key.';
  end if;
  -- protected: the names audit.row_change redacts (see there)
  select pg_catalog.array_agg(a.attname::text order by a.attname::text),
         coalesce(pg_catalog.array_agg(a.attname::text order by a.attname::text)
                    filter (where pg_catalog.starts_with(a.attname::text, 'kra_pin')
                               or pg_catalog.starts_with(a.attname::text, 'national_id')
                               or pg_catalog.starts_with(a.attname::text, 'phone')
                               or pg_catalog.starts_with(a.attname::text, 'bank_account')
                               or pg_catalog.strpos(a.attname::text, 'token') > 0
                               or pg_catalog.strpos(a.attname::text, 'secret') > 0
                               or pg_catalog.strpos(a.attname::text, 'password') > 0), '{}'),
         pg_catalog.bool_and(t.typtype = 'b' and t.typcategory <> 'A' and t.oid < 16384
                             and t.oid not in ('json'::pg_catalog.regtype, 'jsonb'::pg_catalog.regtype))
    into v_cols, v_protected, v_flat
    from pg_catalog.pg_attribute as a
    join pg_catalog.pg_type as t on t.oid = a.atttypid
   where a.attrelid = p_table and a.attnum > 0 and not a.attisdropped;
  v_args := pg_catalog.format('%L, %L, %L, %L', v_pk, v_cols, v_protected,
                              case when v_flat then 'flat' else 'nested' end);
  perform audit.untrack(p_table);
  execute pg_catalog.format(
    'create trigger %I after insert on %s referencing new table as audit_new for each statement execute function audit.row_change(%s)',
    v_name || '_audit_insert', p_table, v_args);
  execute pg_catalog.format(
    'create trigger %I after update on %s referencing old table as audit_old new table as audit_new for each statement execute function audit.row_change(%s)',
    v_name || '_audit_update', p_table, v_args);
  execute pg_catalog.format(
    'create trigger %I after delete on %s referencing old table as audit_old for each statement execute function audit.row_change(%s)',
    v_name || '_audit_delete', p_table, v_args);
  execute pg_catalog.format(
    'create trigger %I after truncate on %s for each statement execute function audit.row_change()',
    v_name || '_audit_truncate', p_table);
end;
$$;

-- Generic change trigger (attach with audit.track). Statement-level with
-- transition tables. Inserts and deletes record the columns that hold a value
-- (a column left out was null); updates record the columns that changed
-- (updated_at alone is no change: such a row writes no event). No column list
-- is stored: an image's keys are the columns, and readers list them
-- (audit.event_changed_columns). Protected and secret columns (names starting
-- kra_pin, national_id, phone or bank_account, or containing token, secret or
-- password) are recorded with the value "[redacted]": in an insert or delete
-- when they hold a value, in an update when they changed (on both sides).
-- resource_id is the primary key. Arguments (audit.track writes them): the
-- primary key columns, every column in name order, the protected columns and
-- whether the table is flat (see audit.track); triggers made with earlier
-- arguments (the primary key columns in the first and two more, or the
-- primary key columns one per argument) are still served, from the catalog.
-- A one-row statement (the usual API write) reads its row images in one query
-- and writes its audit row in a second (an update's diff computed inside that
-- insert); a statement of more rows runs the set-based statement
-- audit.change_sql generates for the table. The hash chain is audit.seal's
-- work, not the writer's. JIT is off (it only costs here); work_mem keeps a
-- bulk statement's diff in memory.
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
  v_tracked boolean := tg_nargs = 4 and pg_catalog.left(tg_argv[1], 1) = '{' and pg_catalog.left(tg_argv[2], 1) = '{';
  v_pk text[];
  v_cols text[];
  v_protected text[];
  v_flat boolean;
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
  v_image jsonb;
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
  if tg_nargs in (3, 4) and pg_catalog.left(tg_argv[0], 1) = '{' then
    v_pk := tg_argv[0]::text[];
  else
    v_pk := array(select pg_catalog.unnest(tg_argv));  -- tg_argv is 0-based
  end if;

  -- The row images, in one query that reads at most two rows: enough to tell
  -- a one-row statement without counting a bulk one. array() straight over
  -- the transition table: an aggregate over a `select *` subquery made
  -- Postgres build a tuple descriptor of every column and start two more plan
  -- nodes for each statement (no rows: an empty array, not null).
  if tg_op = 'INSERT' then
    v_images := array(select pg_catalog.to_jsonb(n) from audit_new as n limit 2);
  elsif tg_op = 'DELETE' then
    v_images := array(select pg_catalog.to_jsonb(o) from audit_old as o limit 2);
  else
    select array(select pg_catalog.to_jsonb(n) from audit_new as n limit 2),
           (select pg_catalog.to_jsonb(o) from audit_old as o limit 1)
      into v_images, v_old;
  end if;
  v_n := pg_catalog.cardinality(v_images);
  v_row := v_images[1];
  if v_n = 0 then
    return null;
  end if;

  if v_n = 1 then
    if tg_op <> 'UPDATE' then
      -- The protected columns and whether the table is flat: those audit.track
      -- recorded, while the row has exactly the columns it recorded.
      if v_tracked then
        v_cols := tg_argv[1]::text[];
        if not (v_row ?& v_cols and v_row - v_cols = '{}'::jsonb) then
          v_cols := null;
        end if;
      end if;
      if v_cols is not null then
        v_protected := tg_argv[2]::text[];
        v_flat := tg_argv[3] = 'flat';
      else
        select pg_catalog.array_agg(a.attname::text)
                 filter (where pg_catalog.starts_with(a.attname::text, 'kra_pin')
                            or pg_catalog.starts_with(a.attname::text, 'national_id')
                            or pg_catalog.starts_with(a.attname::text, 'phone')
                            or pg_catalog.starts_with(a.attname::text, 'bank_account')
                            or pg_catalog.strpos(a.attname::text, 'token') > 0
                            or pg_catalog.strpos(a.attname::text, 'secret') > 0
                            or pg_catalog.strpos(a.attname::text, 'password') > 0),
               pg_catalog.bool_and(t.typtype = 'b' and t.typcategory <> 'A' and t.oid < 16384
                                   and t.oid not in ('json'::pg_catalog.regtype, 'jsonb'::pg_catalog.regtype))
          into v_protected, v_flat
          from pg_catalog.pg_attribute as a
          join pg_catalog.pg_type as t on t.oid = a.atttypid
         where a.attrelid = tg_relid and a.attnum > 0 and not a.attisdropped;
      end if;
      -- the columns that hold a value (top-level nulls only: a json column's
      -- own nulls stay), the protected ones among them marked
      v_image := case when v_flat then pg_catalog.jsonb_strip_nulls(v_row)
                      else v_row - array(select j.key from pg_catalog.jsonb_each(v_row) as j where j.value = 'null'::jsonb) end;
      if v_image ?| v_protected then
        v_image := v_image || (select pg_catalog.jsonb_object_agg(k.name, '"[redacted]"'::jsonb)
                                 from pg_catalog.unnest(v_protected) as k (name) where v_image ? k.name);
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
        -- is no change), protected ones marked on both sides, written in the
        -- same statement: an unchanged row writes nothing
        insert into audit.events (tenant_id, actor_id, actor_role, action, resource_type, resource_id,
          ip_address, user_agent, request_id, outcome, changed_columns, old_values, new_values)
        select case when tg_table_name = 'tenants' then (v_row ->> 'id')::uuid
                    when v_row ? 'tenant_id' then (v_row ->> 'tenant_id')::uuid end,
               v_actor_id, v_actor_role, v_action, v_table, v_rid,
               v_ip, v_user_agent, v_request_id, 'success', null, d.old_values, d.new_values
          from (select pg_catalog.jsonb_object_agg(e.key, case when e.protected then '"[redacted]"'::jsonb else v_old -> e.key end) as old_values,
                       pg_catalog.jsonb_object_agg(e.key, case when e.protected then '"[redacted]"'::jsonb else e.value end) as new_values
                  from (select j.key, j.value,
                               pg_catalog.starts_with(j.key, 'kra_pin') or pg_catalog.starts_with(j.key, 'national_id')
                               or pg_catalog.starts_with(j.key, 'phone') or pg_catalog.starts_with(j.key, 'bank_account')
                               or pg_catalog.strpos(j.key, 'token') > 0 or pg_catalog.strpos(j.key, 'secret') > 0
                               or pg_catalog.strpos(j.key, 'password') > 0 as protected
                          from pg_catalog.jsonb_each(v_row) as j
                         where j.value is distinct from (v_old -> j.key) and j.key <> 'updated_at') as e) as d
         where d.new_values is not null;
        return null;
      end if;
    end if;
    if v_row is not null then
      insert into audit.events (tenant_id, actor_id, actor_role, action, resource_type, resource_id,
        ip_address, user_agent, request_id, outcome, changed_columns, old_values, new_values)
      values (case when tg_table_name = 'tenants' then (v_row ->> 'id')::uuid
                   when v_row ? 'tenant_id' then (v_row ->> 'tenant_id')::uuid end,
              v_actor_id, v_actor_role, v_action, v_table, v_rid,
              v_ip, v_user_agent, v_request_id, 'success', null,
              case when tg_op = 'DELETE' then v_image end, case when tg_op = 'INSERT' then v_image end);
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

-- The set-based audit statement for one trigger call on p_table (p_op INSERT,
-- UPDATE or DELETE), reading the transition tables audit_new / audit_old.
-- Parameters when run: $1 actor_id, $2 actor_role, $3 action, $4 resource_type,
-- $5 user_agent, $6 request_id, $7 every column name (text[]; unused since
-- no row change stores its column list), $8 occurred_at, $9 ip_address.
-- Internal: called only by audit.row_change (no grants).
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
  v_select text;
  v_image text;
  v_nulls text;
  v_flat boolean;
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
    -- The columns that hold a value, protected columns (named as
    -- audit.row_change lists them) holding the mark: one jsonb built from a
    -- row that already holds it, its columns in jsonb's own key order
    -- (shorter names first, then bytewise), so building each image finds its
    -- keys already sorted; then its null keys dropped (jsonb_strip_nulls when
    -- no column's JSON can hold an object, whose own nulls must stay).
    select pg_catalog.string_agg(
             case when pg_catalog.starts_with(a.attname::text, 'kra_pin') or pg_catalog.starts_with(a.attname::text, 'national_id')
                       or pg_catalog.starts_with(a.attname::text, 'phone') or pg_catalog.starts_with(a.attname::text, 'bank_account')
                       or pg_catalog.strpos(a.attname::text, 'token') > 0 or pg_catalog.strpos(a.attname::text, 'secret') > 0
                       or pg_catalog.strpos(a.attname::text, 'password') > 0
                  then pg_catalog.format('case when r.%1$I is not null then %2$L::text end as %1$I', a.attname, '[redacted]')
                  else pg_catalog.format('r.%1$I as %1$I', a.attname) end,
             ', ' order by pg_catalog.octet_length(a.attname::text), a.attname::text collate "C"),
           pg_catalog.string_agg(pg_catalog.format('case when r.%1$I is null then %1$L end', a.attname), ', '),
           pg_catalog.bool_and(t.typtype = 'b' and t.typcategory <> 'A' and t.oid < 16384
                               and t.oid not in ('json'::pg_catalog.regtype, 'jsonb'::pg_catalog.regtype))
      into v_select, v_nulls, v_flat
      from pg_catalog.pg_attribute as a
      join pg_catalog.pg_type as t on t.oid = a.atttypid
     where a.attrelid = p_table and a.attnum > 0 and not a.attisdropped;
    v_image := case when v_flat then 'pg_catalog.jsonb_strip_nulls(pg_catalog.to_jsonb(i))'
                    else 'pg_catalog.to_jsonb(i) - pg_catalog.array_remove(array[' || v_nulls || ']::text[], null)' end;
    return pg_catalog.format(
      'insert into audit.events (occurred_at, tenant_id, actor_id, actor_role, action, resource_type,
         resource_id, ip_address, user_agent, request_id, outcome, changed_columns, old_values, new_values)
       select $8, %1$s, $1, $2, $3, $4, %2$s, $9, $5, $6, ''success'', null::text[], %3$s, %4$s
         from %5$s as r cross join lateral (select %6$s) as i',
      pg_catalog.replace(v_tenant, 'ALIAS.', 'r.'), pg_catalog.replace(v_pk, 'ALIAS.', 'r.'),
      case when p_op = 'DELETE' then v_image else 'null::jsonb' end,
      case when p_op = 'INSERT' then v_image else 'null::jsonb' end,
      v_source, v_select);
  end if;

  -- Updates: only the columns that changed (updated_at alone is no change),
  -- compared as SQL values where the type's equality is jsonb's equality,
  -- else as jsonb (what the one-row path compares). A row whose primary key
  -- changed has no partner: it records every column, as the one-row path's
  -- fallback always did. Values are JSON text fragments joined into one
  -- object; a row with none changed writes nothing. Whether a row has a
  -- partner is asked once per row, choosing between the every-column lists
  -- and the changed-column ones, not once per column in each list. A value's
  -- fragment is to_json's text (what jsonb reads back as to_jsonb's value,
  -- without building and printing a jsonb for it: about 9% of the
  -- instructions of auditing a bulk update).
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
                then pg_catalog.format('n.%1$I is distinct from o.%1$I', a.attname)
                else pg_catalog.format('pg_catalog.to_jsonb(n.%1$I) is distinct from pg_catalog.to_jsonb(o.%1$I)', a.attname) end
             as changed
      from pg_catalog.pg_attribute as a
     where a.attrelid = p_table and a.attnum > 0 and not a.attisdropped and a.attname <> 'updated_at'
  )
  -- each side as "array_to_string(case when <no partner> then array[every
  -- column] else array[the changed ones] end)"
  select pg_catalog.format('pg_catalog.array_to_string(case when %s then array[%s] else array[%s]::text[] end, '', '')', v_missing,
           pg_catalog.string_agg(c.old_value, ', ' order by pg_catalog.octet_length(c.name), c.name collate "C"),
           pg_catalog.string_agg(pg_catalog.format('case when %s then %s end', c.changed, c.old_value),
             ', ' order by pg_catalog.octet_length(c.name), c.name collate "C")),
         pg_catalog.format('pg_catalog.array_to_string(case when %s then array[%s] else array[%s]::text[] end, '', '')', v_missing,
           pg_catalog.string_agg(c.new_value, ', ' order by pg_catalog.octet_length(c.name), c.name collate "C"),
           pg_catalog.string_agg(pg_catalog.format('case when %s then %s end', c.changed, c.new_value),
             ', ' order by pg_catalog.octet_length(c.name), c.name collate "C"))
    into v_olds, v_news
    from (select c.name, c.changed,
                 case when c.protected then pg_catalog.quote_literal(c.json_key || '"[redacted]"')
                      else pg_catalog.format('%L || coalesce(pg_catalog.to_json(o.%I)::text, %L)', c.json_key, c.name, 'null') end
                   as old_value,
                 case when c.protected then pg_catalog.quote_literal(c.json_key || '"[redacted]"')
                      else pg_catalog.format('%L || coalesce(pg_catalog.to_json(n.%I)::text, %L)', c.json_key, c.name, 'null') end
                   as new_value
            from c) as c;
  select pg_catalog.string_agg(pg_catalog.format('n.%1$I = o.%1$I', k.name), ' and ')
    into v_join
    from pg_catalog.unnest(p_pk) as k (name);
  return pg_catalog.format(
    'insert into audit.events (occurred_at, tenant_id, actor_id, actor_role, action, resource_type,
       resource_id, ip_address, user_agent, request_id, outcome, changed_columns, old_values, new_values)
     select $8, d.tenant_id, $1, $2, $3, $4, d.resource_id, $9, $5, $6, ''success'', null::text[],
            (''{'' || d.olds || ''}'')::jsonb, (''{'' || d.news || ''}'')::jsonb
       from (select coalesce(%1$s, %2$s) as tenant_id, coalesce(%3$s, %4$s) as resource_id,
                    %5$s as olds, %6$s as news
               from audit_new as n full join audit_old as o on %7$s) as d
      where d.news <> ''''',
    pg_catalog.replace(v_tenant, 'ALIAS.', 'n.'), pg_catalog.replace(v_tenant, 'ALIAS.', 'o.'),
    pg_catalog.replace(v_pk, 'ALIAS.', 'n.'), pg_catalog.replace(v_pk, 'ALIAS.', 'o.'), v_olds, v_news, v_join);
end;
$$;

-- The columns an audit row records as changed: those stored, or for a row
-- change that stored none, the keys of its image in name order (an insert's
-- or delete's set columns, an update's changed ones).
create or replace function audit.event_changed_columns(e audit.events)
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select coalesce(e.changed_columns,
                  case when e.action in ('row.insert', 'row.update', 'row.delete') and coalesce(e.new_values, e.old_values) is not null
                       then array(select k.key from pg_catalog.jsonb_object_keys(coalesce(e.new_values, e.old_values)) as k (key)
                                   order by k.key) end)
$$;

-- comments
comment on column audit.events.changed_columns is
  'The columns a security event names (what its writer passed). Null for a row change: its image''s keys are the columns (an insert''s or delete''s set columns, an update''s changed ones), and audit.event_changed_columns(event) lists them. Rows written before 20261127001400 may store the list.';

-- every tracked table's triggers, made again with the new arguments
select audit.track(t.tgrelid::regclass)
  from (select distinct tr.tgrelid from pg_catalog.pg_trigger as tr
         where tr.tgfoid = 'audit.row_change()'::regprocedure and tr.tgnargs > 0) as t;
