-- Reverts 20261126003300_employees_list_index.sql.
drop index if exists public.employees_list_by_name_idx;
