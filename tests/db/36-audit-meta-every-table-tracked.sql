-- Meta-test: every table in public carries the four audit triggers that
-- audit.track creates: <table>_audit_insert, _update, _delete, _truncate
-- (audit.row_change, after, for each statement, enabled). Proven able to
-- fail: an untracked table created inside this transaction is reported, and
-- disappears from the report once tracked with one line.
begin;
select plan(6);

create temporary view untracked_tables as
  select c.relname::text collate "default" as table_name
    from pg_class as c
   where c.relnamespace = 'public'::regnamespace
     and c.relkind in ('r', 'p')
     and not c.relispartition
     and (select count(*) from pg_trigger as t
           where t.tgrelid = c.oid
             and t.tgfoid = 'audit.row_change'::regproc
             and t.tgenabled <> 'D'
             and (t.tgname, t.tgtype::int & (1 | 2 | 4 | 8 | 16 | 32 | 64)) in (
                   -- statement-level (no 1), after (no 2/64); insert 4, delete 8, update 16, truncate 32
                   (c.relname || '_audit_insert', 4), (c.relname || '_audit_update', 16),
                   (c.relname || '_audit_delete', 8), (c.relname || '_audit_truncate', 32))) < 4;

select ok((select count(*) from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')) > 0,
  'there are tables in public to check');
select is_empty('select table_name from untracked_tables', 'every table in public has its four audit triggers');

-- the check can fail
create table public.meta_probe_untracked (id uuid primary key, tenant_id uuid);
select results_eq('select table_name from untracked_tables', array['meta_probe_untracked'],
  'a new table without the trigger is reported');

create table public.meta_probe_wrong (id uuid primary key);
select audit.track('public.meta_probe_wrong');
drop trigger meta_probe_wrong_audit_update on public.meta_probe_wrong;
create trigger meta_probe_wrong_audit_update before update on public.meta_probe_wrong
  for each row execute function audit.row_change();
select results_eq('select table_name from untracked_tables order by 1', array['meta_probe_untracked', 'meta_probe_wrong'],
  'a trigger with the right name but the wrong timing or events is reported');

select audit.track('public.meta_probe_untracked');
select audit.track('public.meta_probe_wrong');
select is_empty('select table_name from untracked_tables', 'one audit.track line per table fixes it');

alter table public.meta_probe_untracked disable trigger meta_probe_untracked_audit_delete;
select results_eq('select table_name from untracked_tables', array['meta_probe_untracked'],
  'a disabled audit trigger is reported');

select * from finish();
rollback;
