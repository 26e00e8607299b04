-- Employees: business fields plus, for each protected field (kra_pin,
-- national_id, phone, bank_account), an AES-256-GCM ciphertext and a keyed
-- blind index, both bytea and both written only by the edge functions.
-- (CHECK constraints on the ciphertext format come in a later migration.)
--
-- Tables:    public.employees
-- Triggers:  employees_touch_updated_at
-- Functions: private.my_employee_ids()
-- Policies:  "members and granted support can reach their tenant's employees",
--            "only people managers, granted support and the employee read rows" (restrictive),
--            "people managers can add employees", "people managers can change employees",
--            "owners and admins can delete employees"

-- tables
create table public.employees (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  user_id uuid references auth.users (id) on delete set null,
  employee_number text not null check (length(btrim(employee_number)) between 1 and 40),
  first_name text not null check (length(btrim(first_name)) between 1 and 100),
  last_name text not null check (length(btrim(last_name)) between 1 and 100),
  other_names text check (length(other_names) <= 200),
  date_of_birth date check (date_of_birth > date '1900-01-01'),
  job_title text check (length(job_title) <= 200),
  department text check (length(department) <= 200),
  employment_start_date date,
  status text not null default 'active' check (status in ('active', 'on_leave', 'suspended', 'terminated')),
  bank_code text check (bank_code ~ '^[0-9]{2,4}$'),
  branch_code text check (branch_code ~ '^[0-9]{3}$'),
  kra_pin_ciphertext bytea,
  kra_pin_blind_index bytea,
  national_id_ciphertext bytea,
  national_id_blind_index bytea,
  phone_ciphertext bytea,
  phone_blind_index bytea,
  bank_account_ciphertext bytea,
  bank_account_blind_index bytea,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  unique (tenant_id, id),
  unique (tenant_id, employee_number)
);
comment on table public.employees is 'Protected fields exist only as <field>_ciphertext (AES-256-GCM, made in the functions) and <field>_blind_index (keyed HMAC).';
create index employees_user_id_idx on public.employees (user_id, tenant_id);
create unique index employees_kra_pin_blind_index_key
  on public.employees (tenant_id, kra_pin_blind_index) where kra_pin_blind_index is not null;
create unique index employees_national_id_blind_index_key
  on public.employees (tenant_id, national_id_blind_index) where national_id_blind_index is not null;
create index employees_phone_blind_index_idx
  on public.employees (tenant_id, phone_blind_index) where phone_blind_index is not null;
create index employees_bank_account_blind_index_idx
  on public.employees (tenant_id, bank_account_blind_index) where bank_account_blind_index is not null;

-- triggers
create trigger employees_touch_updated_at before update on public.employees
  for each row execute function private.touch_updated_at();

-- functions
-- The caller's own employee rows, in tenants they still belong to. A set of
-- ids (rather than user_id = auth.uid() in the policy) keeps the policy on
-- columns of the (tenant_id, id) index, so counts stay index-only scans.
create function private.my_employee_ids()
returns setof uuid
language plpgsql stable security definer
set search_path = ''
as $$
begin
  return query
    select e.id
    from public.employees e
    join public.memberships m on m.tenant_id = e.tenant_id and m.user_id = e.user_id
    join public.tenants t on t.id = e.tenant_id and t.deleted_at is null
    where e.user_id = auth.uid();
end;
$$;
revoke execute on function private.my_employee_ids() from public;
grant execute on function private.my_employee_ids() to authenticated, service_role;

-- grants
revoke all on public.employees from anon, authenticated;
grant select, insert, update, delete on public.employees to authenticated;
grant all on public.employees to service_role;

alter table public.employees enable row level security;

-- policies
-- Reading is split in two so the planner keeps a single indexable tenant
-- condition: the permissive policy narrows to the caller's tenants (members,
-- or platform support under an active grant); the restrictive one then
-- requires employees.read there, or the row being the caller's own. (One
-- policy "A or B" makes the planner pick a BitmapOr and sort every row of the
-- tenant for a 50-row page; see bench/rls.bench.ts.)
create policy "members and granted support can reach their tenant's employees"
  on public.employees for select to authenticated
  using (tenant_id = any(array(select private.readable_tenant_ids('tenant.read'))));
create policy "only people managers, granted support and the employee read rows"
  on public.employees as restrictive for select to authenticated
  using (
    tenant_id = any(array(select private.readable_tenant_ids('employees.read')))
    or id = any(array(select private.my_employee_ids()))
  );
create policy "people managers can add employees"
  on public.employees for insert to authenticated
  with check (tenant_id = any(array(select private.tenants_where_i_can('employees.write'))));
create policy "people managers can change employees"
  on public.employees for update to authenticated
  using (tenant_id = any(array(select private.tenants_where_i_can('employees.write'))))
  with check (tenant_id = any(array(select private.tenants_where_i_can('employees.write'))));
create policy "owners and admins can delete employees"
  on public.employees for delete to authenticated
  using (tenant_id = any(array(select private.tenants_where_i_can('employees.delete'))));
