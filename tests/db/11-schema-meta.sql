-- Meta-tests over the catalog: they fail when a new object breaks a rule.
-- Each check is a query returning the offending objects; the first half
-- asserts the real schema has none, the second half creates one offender per
-- rule inside this transaction and asserts the check names it (proving the
-- check can fail), then everything rolls back.
--   1 tables in public/private without RLS          5 views in public that are not security_invoker
--   2 tables in public without any policy            6 foreign keys without an index
--   3 policies calling auth.*/private.* outside a    7 columns a policy filters on without an index
--     constant (select ...) (once per statement)     8 tables in public without created_at/updated_at
--   4 security definer functions (any schema) with     and a <table>_touch_updated_at trigger
--     a mutable search_path (no search_path setting)
begin;
select plan(17);

create schema tests;

-- Tables and views we own (not those of an extension such as pgTAP).
create view tests.own_relations as
select c.oid, n.nspname, c.relname, c.relkind, c.relrowsecurity, c.reloptions
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname in ('public', 'private')
  and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e');

create function tests.tables_without_rls() returns setof text language sql as $$
  select nspname || '.' || relname from tests.own_relations
  where relkind in ('r', 'p') and not relrowsecurity order by 1
$$;

create function tests.tables_without_policies() returns setof text language sql as $$
  select nspname || '.' || relname from tests.own_relations r
  where relkind in ('r', 'p') and nspname = 'public'
    and not exists (select 1 from pg_policy p where p.polrelid = r.oid) order by 1
$$;

-- A call is fine only as "( SELECT schema.fn(<constants>) AS x)": an InitPlan
-- evaluated once per statement. A bare call, or one taking a column, runs per row.
create function tests.policies_with_per_row_calls() returns setof text language sql as $$
  select schemaname || '.' || tablename || ': ' || policyname
  from pg_policies
  where schemaname in ('public', 'private')
    and regexp_replace(coalesce(qual, '') || ' ' || coalesce(with_check, ''),
          '\( SELECT (auth|private)\.\w+\(((\s|,)*''[^'']*''::[a-z ]+)*\) AS \w+\)', '', 'g')
        ~ '(auth|private)\.\w+\('
  order by 1
$$;

create function tests.definer_functions_with_mutable_search_path() returns setof text language sql as $$
  select n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_'
    and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
    and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')
  order by 1
$$;

create function tests.views_not_security_invoker() returns setof text language sql as $$
  select nspname || '.' || relname from tests.own_relations
  where relkind = 'v' and nspname = 'public'
    and not coalesce(reloptions && array['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false)
  order by 1
$$;

-- An index covers a foreign key when its leading columns are the key's columns.
create function tests.unindexed_foreign_keys() returns setof text language sql as $$
  select con.conrelid::regclass::text || ' (' || con.conname || ')'
  from pg_constraint con
  join tests.own_relations r on r.oid = con.conrelid
  where con.contype = 'f'
    and not exists (
      select 1 from pg_index i
      where i.indrelid = con.conrelid
        and (select array_agg(x order by x) from unnest((i.indkey::int2[])[0:cardinality(con.conkey) - 1]) x)
            = (select array_agg(x order by x) from unnest(con.conkey) x))
  order by 1
$$;

-- Every column of the table named in a policy expression appears in an index.
create function tests.unindexed_policy_columns() returns setof text language sql as $$
  select distinct p.schemaname || '.' || p.tablename || '.' || a.attname
  from pg_policies p
  join pg_class c on c.relname = p.tablename
  join pg_namespace n on n.oid = c.relnamespace and n.nspname = p.schemaname
  join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  where p.schemaname in ('public', 'private')
    and (coalesce(p.qual, '') || ' ' || coalesce(p.with_check, '')) ~ ('\m' || a.attname || '\M')
    and not exists (select 1 from pg_index i where i.indrelid = c.oid and a.attnum = any(i.indkey::int2[]))
  order by 1
$$;

create function tests.tables_without_timestamps() returns setof text language sql as $$
  select nspname || '.' || relname from tests.own_relations r
  where relkind in ('r', 'p') and nspname = 'public'
    and (not exists (select 1 from pg_attribute a where a.attrelid = r.oid and a.attname = 'created_at' and not a.attisdropped)
      or not exists (select 1 from pg_attribute a where a.attrelid = r.oid and a.attname = 'updated_at' and not a.attisdropped)
      or not exists (select 1 from pg_trigger t where t.tgrelid = r.oid
                     and t.tgname = r.relname || '_touch_updated_at'
                     and t.tgfoid = 'private.touch_updated_at()'::regprocedure))
  order by 1
$$;

-- 1. The real schema is clean.
select is_empty('select * from tests.tables_without_rls()', 'every table in public and private has RLS enabled');
select is_empty('select * from tests.tables_without_policies()', 'every table in public has at least one policy');
select is_empty('select * from tests.policies_with_per_row_calls()', 'policies call auth.* and private.* only as (select fn(constants))');
select is_empty('select * from tests.definer_functions_with_mutable_search_path()', 'every security definer function pins its search_path');
select is_empty('select * from tests.views_not_security_invoker()', 'every view in public is security_invoker');
select is_empty('select * from tests.unindexed_foreign_keys()', 'every foreign key has an index');
select is_empty('select * from tests.unindexed_policy_columns()', 'every column a policy filters on is indexed');
select is_empty('select * from tests.tables_without_timestamps()', 'every table in public has created_at, updated_at and a touch_updated_at trigger');

-- 2. Each check catches an offender.
create table public.meta_no_rls (id int primary key);
create table private.meta_private_no_rls (id int primary key);
create table public.meta_no_policy (id int primary key, created_at timestamptz, updated_at timestamptz);
alter table public.meta_no_policy enable row level security;
create table public.meta_calls (id uuid primary key, owner_id uuid, tenant_id uuid);
create index on public.meta_calls (owner_id);
create index on public.meta_calls (tenant_id);
alter table public.meta_calls enable row level security;
create policy "bare auth.uid()" on public.meta_calls for select using (owner_id = auth.uid());
create policy "bare helper" on public.meta_calls for update using (private.is_platform_admin());
create policy "helper fed a column" on public.meta_calls for delete
  using ((select private.has_permission(tenant_id, 'employees.delete')));
create function public.meta_definer() returns int language sql security definer as 'select 1';
create view public.meta_view as select 1 as one;
create table public.meta_fk (id int primary key, tenant_id uuid references public.tenants (id));
alter table public.meta_fk enable row level security;
create table public.meta_policy_col (id int primary key, owner_id uuid);
alter table public.meta_policy_col enable row level security;
create policy "owner reads" on public.meta_policy_col for select using (owner_id = (select auth.uid()));

select set_eq('select * from tests.tables_without_rls()',
  array['public.meta_no_rls', 'private.meta_private_no_rls'],
  'the RLS check names a public and a private table without RLS');
select set_eq('select * from tests.tables_without_policies()',
  array['public.meta_no_rls', 'public.meta_no_policy', 'public.meta_fk'],
  'the policy check names tables without any policy');
select set_eq('select * from tests.policies_with_per_row_calls()',
  array['public.meta_calls: bare auth.uid()', 'public.meta_calls: bare helper', 'public.meta_calls: helper fed a column'],
  'the call check names bare auth.uid(), a bare helper and a helper fed a column');
select set_eq('select * from tests.definer_functions_with_mutable_search_path()',
  array['public.meta_definer()'], 'the search_path check names a definer function without one');
select set_eq('select * from tests.views_not_security_invoker()',
  array['public.meta_view'], 'the view check names a view that is not security_invoker');
select set_eq('select * from tests.unindexed_foreign_keys()',
  array['meta_fk (meta_fk_tenant_id_fkey)'], 'the foreign key check names an unindexed foreign key');
select set_eq('select * from tests.unindexed_policy_columns()',
  array['public.meta_policy_col.owner_id'], 'the policy column check names an unindexed policy column');
select ok((select array_agg(x) from tests.tables_without_timestamps() x)
          @> array['public.meta_no_rls', 'public.meta_calls', 'public.meta_fk'],
  'the timestamp check names tables without timestamps or the touch trigger');
select ok('public.meta_no_policy' = any(array(select tests.tables_without_timestamps())),
  'the timestamp check names a table with the columns but no touch_updated_at trigger');

select * from finish();
rollback;
