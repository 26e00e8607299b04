-- Reverts 20261126000650_invitations.sql.
drop function if exists private.accept_invitation(text);
drop table if exists public.invitations;
drop function if exists private.enforce_invitation_rules();
