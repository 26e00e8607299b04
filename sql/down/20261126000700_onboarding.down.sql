-- Reverts 20261126000700_onboarding.sql.
drop table if exists public.onboarding_case_status_history;
drop table if exists public.onboarding_cases;
drop function if exists private.record_onboarding_status();
drop function if exists private.enforce_onboarding_workflow();
