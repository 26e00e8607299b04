-- Reverts 20261126002200_support_api.sql.
drop function if exists private.revoke_my_support_grant(uuid);
drop function if exists private.assign_support_ticket(uuid, uuid);
drop function if exists private.support_ticket_queue(uuid, text, uuid, boolean, uuid, timestamptz, uuid, integer);
drop trigger if exists support_tickets_guard_assignment on public.support_tickets;
drop function if exists private.guard_support_ticket_assignment();
drop index if exists public.support_tickets_queue_idx;
drop index if exists public.support_tickets_assigned_to_idx;
alter table public.support_tickets
  drop constraint if exists support_tickets_assignment_stamped,
  drop column if exists assigned_at,
  drop column if exists assigned_to;
