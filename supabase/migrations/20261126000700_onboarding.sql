-- Onboarding cases: a new hire (subject_user_id) or HR fills a draft, it is
-- submitted, then approved or rejected (with a reason) by someone holding
-- onboarding.review. Every status change is recorded in the history table by
-- a trigger; nobody writes history directly. Drafts hold protected fields only
-- as ciphertext made by the functions.
--
-- Tables:    public.onboarding_cases, public.onboarding_case_status_history
-- Triggers:  onboarding_cases_touch_updated_at, onboarding_case_status_history_touch_updated_at,
--            onboarding_cases_enforce_workflow, onboarding_cases_record_status
-- Functions: private.enforce_onboarding_workflow(), private.record_onboarding_status()
-- Policies:  see "policies"

-- tables
create table public.onboarding_cases (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  subject_user_id uuid references auth.users (id) on delete set null,
  created_by uuid references auth.users (id) on delete set null,
  employee_id uuid,
  status text not null default 'draft' check (status in ('draft', 'submitted', 'approved', 'rejected')),
  decision_reason text check (length(decision_reason) <= 2000),
  first_name text check (length(first_name) <= 100),
  last_name text check (length(last_name) <= 100),
  other_names text check (length(other_names) <= 200),
  date_of_birth date,
  job_title text check (length(job_title) <= 200),
  department text check (length(department) <= 200),
  employment_start_date date,
  bank_code text check (bank_code ~ '^[0-9]{2,4}$'),
  branch_code text check (branch_code ~ '^[0-9]{3}$'),
  kra_pin_ciphertext bytea,
  national_id_ciphertext bytea,
  phone_ciphertext bytea,
  bank_account_ciphertext bytea,
  submitted_at timestamptz,
  decided_at timestamptz,
  decided_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  unique (tenant_id, id),
  foreign key (tenant_id, employee_id) references public.employees (tenant_id, id) on delete set null (employee_id),
  check (status <> 'rejected' or coalesce(length(btrim(decision_reason)), 0) > 0)
);
create index onboarding_cases_subject_idx on public.onboarding_cases (subject_user_id, tenant_id, status);
create index onboarding_cases_created_by_idx on public.onboarding_cases (created_by);
create index onboarding_cases_decided_by_idx on public.onboarding_cases (decided_by);
create index onboarding_cases_employee_idx on public.onboarding_cases (tenant_id, employee_id);
create index onboarding_cases_tenant_status_idx on public.onboarding_cases (tenant_id, status);

create table public.onboarding_case_status_history (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  case_id uuid not null,
  from_status text check (from_status in ('draft', 'submitted', 'approved', 'rejected')),
  to_status text not null check (to_status in ('draft', 'submitted', 'approved', 'rejected')),
  reason text,
  changed_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, case_id) references public.onboarding_cases (tenant_id, id) on delete cascade
);
create index onboarding_case_status_history_case_idx
  on public.onboarding_case_status_history (tenant_id, case_id, created_at);
create index onboarding_case_status_history_changed_by_idx
  on public.onboarding_case_status_history (changed_by);

-- triggers
create trigger onboarding_cases_touch_updated_at before update on public.onboarding_cases
  for each row execute function private.touch_updated_at();
create trigger onboarding_case_status_history_touch_updated_at before update on public.onboarding_case_status_history
  for each row execute function private.touch_updated_at();

-- functions
-- Workflow: draft -> submitted -> approved | rejected, submitted -> draft
-- (returned for changes). Only drafts are edited. Approve/reject needs
-- onboarding.review. For API callers the who/when columns come from the session.
create function private.enforce_onboarding_workflow()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_api boolean := current_user in ('authenticated', 'anon');
begin
  if tg_op = 'INSERT' then
    if v_api then
      new.created_by := auth.uid();
      if new.status <> 'draft' then
        raise exception 'an onboarding case starts as a draft'
          using errcode = 'P0001', hint = 'Insert with status draft, then submit it.';
      end if;
      new.submitted_at := null;
      new.decided_at := null;
      new.decided_by := null;
    end if;
    return new;
  end if;

  if new.tenant_id <> old.tenant_id then
    raise exception 'an onboarding case cannot move to another tenant'
      using errcode = '42501', hint = 'Create a new case in the other tenant.';
  end if;
  if v_api and new.deleted_at is distinct from old.deleted_at
     and not private.has_permission(new.tenant_id, 'onboarding.write') then
    raise exception 'only onboarding staff can delete or restore an onboarding case'
      using errcode = '42501', hint = 'Ask someone with onboarding.write.';
  end if;
  if v_api and (new.employee_id, new.decision_reason, new.created_by) is distinct from
                (old.employee_id, old.decision_reason, old.created_by)
     and not private.has_permission(new.tenant_id, 'onboarding.write') then
    raise exception 'only onboarding staff can link an employee or record a decision'
      using errcode = '42501', hint = 'Ask someone with onboarding.write.';
  end if;
  if new.status = old.status then
    if old.status <> 'draft' and v_api
       and (new.first_name, new.last_name, new.other_names, new.date_of_birth, new.job_title, new.department,
            new.employment_start_date, new.bank_code, new.branch_code, new.kra_pin_ciphertext,
            new.national_id_ciphertext, new.phone_ciphertext, new.bank_account_ciphertext, new.subject_user_id)
           is distinct from
           (old.first_name, old.last_name, old.other_names, old.date_of_birth, old.job_title, old.department,
            old.employment_start_date, old.bank_code, old.branch_code, old.kra_pin_ciphertext,
            old.national_id_ciphertext, old.phone_ciphertext, old.bank_account_ciphertext, old.subject_user_id) then
      raise exception 'only a draft onboarding case can be edited'
        using errcode = 'P0001', hint = 'Return the case to draft first.';
    end if;
    return new;
  end if;

  if not ((old.status = 'draft' and new.status = 'submitted')
          or (old.status = 'submitted' and new.status in ('approved', 'rejected', 'draft'))) then
    raise exception 'an onboarding case cannot go from % to %', old.status, new.status
      using errcode = 'P0001', hint = 'Allowed: draft->submitted, submitted->approved|rejected|draft.';
  end if;
  if v_api and new.status in ('approved', 'rejected', 'draft') and old.status = 'submitted'
     and not private.has_permission(new.tenant_id, 'onboarding.review') then
    raise exception 'only a reviewer can approve, reject or return an onboarding case'
      using errcode = '42501', hint = 'Ask someone with onboarding.review.';
  end if;
  if new.status = 'submitted' then
    new.submitted_at := now();
  elsif new.status in ('approved', 'rejected') then
    new.decided_at := now();
    new.decided_by := coalesce(auth.uid(), new.decided_by);
  end if;
  return new;
end;
$$;
revoke execute on function private.enforce_onboarding_workflow() from public;

create trigger onboarding_cases_enforce_workflow before insert or update on public.onboarding_cases
  for each row execute function private.enforce_onboarding_workflow();

-- Security definer: history rows are written only here, never by API callers.
create function private.record_onboarding_status()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or new.status is distinct from old.status then
    -- clock_timestamp(): several changes in one transaction keep their order
    insert into public.onboarding_case_status_history (tenant_id, case_id, from_status, to_status, reason, changed_by, created_at)
    values (new.tenant_id, new.id, case when tg_op = 'UPDATE' then old.status end, new.status,
            case when new.status in ('approved', 'rejected') then new.decision_reason end, auth.uid(), clock_timestamp());
  end if;
  return null;
end;
$$;
revoke execute on function private.record_onboarding_status() from public;

create trigger onboarding_cases_record_status after insert or update of status on public.onboarding_cases
  for each row execute function private.record_onboarding_status();

-- grants
revoke all on public.onboarding_cases, public.onboarding_case_status_history from anon, authenticated;
grant select, insert, update on public.onboarding_cases to authenticated;
grant select on public.onboarding_case_status_history to authenticated;
grant all on public.onboarding_cases, public.onboarding_case_status_history to service_role;

alter table public.onboarding_cases enable row level security;
alter table public.onboarding_case_status_history enable row level security;

-- policies
create policy "staff, the new hire and granted support can read cases"
  on public.onboarding_cases for select to authenticated
  using (
    tenant_id = any(array(select private.readable_tenant_ids('onboarding.read')))
    or (subject_user_id = (select auth.uid()) and tenant_id = any(array(select private.my_tenant_ids())))
  );
create policy "staff can open cases and new hires their own draft"
  on public.onboarding_cases for insert to authenticated
  with check (
    tenant_id = any(array(select private.tenants_where_i_can('onboarding.write')))
    or (subject_user_id = (select auth.uid()) and status = 'draft'
        and tenant_id = any(array(select private.my_tenant_ids())))
  );
create policy "staff can work on cases and new hires on their own draft"
  on public.onboarding_cases for update to authenticated
  using (
    tenant_id = any(array(select private.tenants_where_i_can('onboarding.write')))
    or (subject_user_id = (select auth.uid()) and status = 'draft'
        and tenant_id = any(array(select private.my_tenant_ids())))
  )
  with check (
    tenant_id = any(array(select private.tenants_where_i_can('onboarding.write')))
    or (subject_user_id = (select auth.uid()) and status in ('draft', 'submitted')
        and tenant_id = any(array(select private.my_tenant_ids())))
  );

create policy "whoever can read a case can read its status history"
  on public.onboarding_case_status_history for select to authenticated
  using (
    tenant_id = any(array(select private.readable_tenant_ids('onboarding.read')))
    or (tenant_id = any(array(select private.my_tenant_ids()))
        and case_id in (select c.id from public.onboarding_cases c where c.subject_user_id = (select auth.uid())))
  );
