-- Reverts 20261126000000_foundation.sql.
drop function if exists private.touch_updated_at();
alter default privileges in schema public grant execute on functions to anon, authenticated;
alter default privileges grant execute on functions to public;
drop schema if exists private;
