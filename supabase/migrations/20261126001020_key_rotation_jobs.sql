-- Key rotation jobs: resumable state for KEK rotation (rewrap every data key)
-- and data-key rotation (re-encrypt one tenant's rows in batches). A runner
-- advances a job only inside the transaction that commits a batch, so a crash
-- at any point resumes from the last committed batch.
--
-- Tables:    private.key_rotation_jobs
-- Triggers:  key_rotation_jobs_touch_updated_at
-- Functions: none
-- Policies:  none (RLS on, no policy: owner and service_role only)

-- tables
create table private.key_rotation_jobs (
  id             uuid        primary key default gen_random_uuid(),
  kind           text        not null check (kind in ('kek_rewrap', 'data_key_reencrypt')),
  -- data_key_reencrypt: the tenant; kek_rewrap: null (all tenants) or one tenant
  tenant_id      uuid        references public.tenants (id) on delete cascade,
  -- kek_rewrap: the KEK version keys are rewrapped to; data_key_reencrypt: the data-key version
  target_version integer     not null check (target_version >= 1),
  status         text        not null default 'running' check (status in ('running', 'completed', 'failed')),
  -- where the next batch starts, e.g. {"table": "employees", "after_id": "<uuid>", "pass": 1}
  cursor         jsonb       not null default '{}'::jsonb,
  rows_total     bigint      not null default 0 check (rows_total >= 0),
  rows_done      bigint      not null default 0 check (rows_done >= 0),
  rows_skipped   bigint      not null default 0 check (rows_skipped >= 0),
  -- a stable error code only (never a value, key or message from a library)
  last_error     text        check (length(last_error) <= 100),
  started_by     text        check (length(started_by) <= 200),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  finished_at    timestamptz,
  check (kind = 'kek_rewrap' or tenant_id is not null)
);
comment on table private.key_rotation_jobs is
  'Resumable key rotation jobs (functions/_shared/crypto/rotation.ts, scripts/rotate-keys.ts).';
create unique index key_rotation_jobs_one_running
  on private.key_rotation_jobs (kind, coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid))
  where status = 'running';
create index key_rotation_jobs_tenant_idx on private.key_rotation_jobs (tenant_id, created_at);
alter table private.key_rotation_jobs enable row level security;

-- triggers
create trigger key_rotation_jobs_touch_updated_at
  before update on private.key_rotation_jobs
  for each row execute function private.touch_updated_at();

-- grants
revoke all on table private.key_rotation_jobs from public, anon, authenticated;
grant select, insert, update on table private.key_rotation_jobs to service_role;
