-- Reverts 20261126000600_employees.sql.
drop table if exists public.employees;
drop function if exists private.my_employee_ids();
