-- Reverts 20261126002000_onboarding_accept_invitation.sql.
drop function if exists private.accept_invitation(bytea);
