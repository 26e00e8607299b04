-- The set-based audit of a bulk UPDATE asks once per row whether the row
-- has a partner (a row whose primary key changed has none), instead of in
-- every column's test of each of the three lists it builds (changed
-- columns, old values, new values): 72 tests for a table of 25 columns.
-- The statement that diffs 100,000 updated employees took half as long
-- without them. Same rows, same values: a row without a partner still
-- records every column.
--
-- Functions: audit.change_sql(regclass, text, text[], text) (new body)

-- functions
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
    -- holding the mark: one jsonb built from a row that already holds it,
    -- its columns in jsonb's own key order (shorter names first, then
    -- bytewise), so building each image finds its keys already sorted.
    select pg_catalog.string_agg(
             case when pg_catalog.starts_with(a.attname::text, 'kra_pin') or pg_catalog.starts_with(a.attname::text, 'national_id')
                       or pg_catalog.starts_with(a.attname::text, 'phone') or pg_catalog.starts_with(a.attname::text, 'bank_account')
                       or pg_catalog.strpos(a.attname::text, 'token') > 0 or pg_catalog.strpos(a.attname::text, 'secret') > 0
                       or pg_catalog.strpos(a.attname::text, 'password') > 0
                  then pg_catalog.format('%L::text as %I', '[redacted]', a.attname)
                  else pg_catalog.format('r.%1$I as %1$I', a.attname) end,
             ', ' order by pg_catalog.octet_length(a.attname::text), a.attname::text collate "C")
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
  -- Whether a row has a partner is asked once per row, choosing between the
  -- every-column lists and the changed-column ones, not once per column in
  -- each of the three lists.
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
  -- each list as "case when <no partner> then array[every column] else
  -- array[the changed ones] end"
  select pg_catalog.format('case when %s then array[%s] else pg_catalog.array_remove(array[%s]::text[], null) end',
           v_missing, pg_catalog.string_agg(pg_catalog.quote_literal(c.name), ', ' order by c.name),
           pg_catalog.string_agg(pg_catalog.format('case when %s then %L end', c.changed, c.name), ', ' order by c.name)),
         pg_catalog.format('case when %s then array[%s] else array[%s]::text[] end', v_missing,
           pg_catalog.string_agg(c.old_value, ', ' order by pg_catalog.octet_length(c.name), c.name collate "C"),
           pg_catalog.string_agg(pg_catalog.format('case when %s then %s end', c.changed, c.old_value),
             ', ' order by pg_catalog.octet_length(c.name), c.name collate "C")),
         pg_catalog.format('case when %s then array[%s] else array[%s]::text[] end', v_missing,
           pg_catalog.string_agg(c.new_value, ', ' order by pg_catalog.octet_length(c.name), c.name collate "C"),
           pg_catalog.string_agg(pg_catalog.format('case when %s then %s end', c.changed, c.new_value),
             ', ' order by pg_catalog.octet_length(c.name), c.name collate "C"))
    into v_cols, v_olds, v_news
    from (select c.name, c.changed,
                 case when c.protected then pg_catalog.quote_literal(c.json_key || '"[redacted]"')
                      else pg_catalog.format('%L || coalesce(pg_catalog.to_jsonb(o.%I)::text, %L)', c.json_key, c.name, 'null') end
                   as old_value,
                 case when c.protected then pg_catalog.quote_literal(c.json_key || '"[redacted]"')
                      else pg_catalog.format('%L || coalesce(pg_catalog.to_jsonb(n.%I)::text, %L)', c.json_key, c.name, 'null') end
                   as new_value
            from c) as c;
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
                    %5$s as cols, %6$s as olds, %7$s as news
               from audit_new as n full join audit_old as o on %8$s) as d
      where pg_catalog.cardinality(d.cols) > 0',
    pg_catalog.replace(v_tenant, 'ALIAS.', 'n.'), pg_catalog.replace(v_tenant, 'ALIAS.', 'o.'),
    pg_catalog.replace(v_pk, 'ALIAS.', 'n.'), pg_catalog.replace(v_pk, 'ALIAS.', 'o.'), v_cols, v_olds, v_news, v_join);
end;
$$;

