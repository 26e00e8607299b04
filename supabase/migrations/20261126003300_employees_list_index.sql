-- The Admin Portal's employee list: a tenant's live employees ordered by
-- name with keyset pagination (last_name, first_name, id). Without this index
-- every page sorted the whole tenant.
--
-- Indexes: employees_list_by_name_idx

create index employees_list_by_name_idx
  on public.employees (tenant_id, last_name, first_name, id)
  where deleted_at is null;
