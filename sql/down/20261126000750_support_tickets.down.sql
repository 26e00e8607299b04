-- Reverts 20261126000750_support_tickets.sql.
drop table if exists public.support_ticket_messages;
drop table if exists public.support_tickets;
drop function if exists private.stamp_support_message_author();
drop function if exists private.stamp_support_ticket_opener();
