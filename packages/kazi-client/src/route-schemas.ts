// Each route's zod schemas, by client method: params, query, body and the
// success response, as the server registers them. The client's types are
// `typeof` these maps (client.ts imports this module with `import type`
// only, so none of it is bundled for the browser).
//
// Every schema is the server's own, imported from where it is declared:
// functions/<name>/schemas.ts, or the route module that registers it
// (functions/admin/routes/*.ts, functions/support/routes/*.ts export their
// request and response schemas). The one schema written here is the
// response of onboarding's listMyCases, which that route wraps inline around
// CaseView. drift.test.ts checks every entry against the schema the route
// really registers (JSON Schema, input and output).
import { z } from "zod";
import * as auditEvents from "../../../functions/admin/routes/audit-events.ts";
import * as employees from "../../../functions/admin/routes/employees.ts";
import * as invitations from "../../../functions/admin/routes/invitations.ts";
import * as keyRotations from "../../../functions/admin/routes/key-rotations.ts";
import * as members from "../../../functions/admin/routes/members.ts";
import * as pii from "../../../functions/admin/routes/pii.ts";
import * as tenants from "../../../functions/admin/routes/tenants.ts";
import { Employee, EmployeePage, EmployeeParams, MemberParams, TenantParams } from "../../../functions/admin/schemas.ts";
import * as onboarding from "../../../functions/onboarding/schemas.ts";
import * as agentGrants from "../../../functions/support/routes/agent-access-grants.ts";
import * as agentEmployees from "../../../functions/support/routes/agent-employees.ts";
import * as agentTickets from "../../../functions/support/routes/agent-tickets.ts";
import * as tenantGrants from "../../../functions/support/routes/tenant-access-grants.ts";
import * as tickets from "../../../functions/support/routes/tickets.ts";
import * as supportShared from "../../../functions/support/schemas.ts";

const O = onboarding, SS = supportShared;

export const adminRouteSchemas = {
  createTenant: { body: tenants.CreateTenant, response: tenants.TenantCreated },
  listTenants: { query: tenants.ListQuery, response: tenants.TenantPage },
  offboardTenant: { params: TenantParams, body: tenants.OffboardTenant, response: tenants.TenantOffboarded },
  listMembers: { params: TenantParams, response: members.MemberList },
  changeMemberRole: { params: MemberParams, body: members.RoleBody, response: members.Membership },
  removeMember: { params: MemberParams, response: members.Removed },
  inviteMember: { params: TenantParams, body: invitations.InviteBody, response: invitations.Invited },
  listInvitations: { params: TenantParams, query: invitations.ListQuery, response: invitations.InvitationList },
  revokeInvitation: { params: invitations.InvitationParams, response: invitations.InvitationListed },
  listEmployees: { params: TenantParams, query: employees.ListQuery, response: EmployeePage },
  lookupEmployees: { params: TenantParams, body: employees.LookupBody, response: employees.LookupResult },
  getEmployee: { params: EmployeeParams, response: Employee },
  deleteEmployee: { params: EmployeeParams, response: employees.Deleted },
  revealPii: { params: EmployeeParams, body: pii.RevealBody, response: pii.Revealed },
  erasePii: { params: EmployeeParams, body: pii.EraseBody, response: pii.Erased },
  listAuditEvents: { params: TenantParams, query: auditEvents.AuditQuery, response: auditEvents.AuditEventPage },
  startKeyRotation: { params: TenantParams, response: keyRotations.KeyRotationStarted },
  listKeyRotations: { params: TenantParams, response: keyRotations.KeyRotationJobList },
  getKeyRotation: { params: keyRotations.JobParams, response: keyRotations.Job },
};

export const onboardingRouteSchemas = {
  acceptInvitation: { body: O.AcceptBody, response: O.AcceptResult },
  // the route wraps CaseView inline
  listMyCases: { response: z.object({ items: z.array(O.CaseView) }) },
  getMyCase: { params: O.CaseIdParams, response: O.CaseView },
  saveMyDetails: { params: O.CaseIdParams, body: O.SaveDetailsBody, response: O.CaseView },
  submitMyCase: { params: O.CaseIdParams, response: O.CaseView },
  revealMyPii: { params: O.CaseIdParams, body: O.RevealBody, response: O.RevealResult },
  listCases: { query: O.ListQuery, response: O.CaseList },
  getCase: { params: O.CaseIdParams, response: O.CaseView },
  approveCase: { params: O.CaseIdParams, body: O.ApproveBody, response: O.ApproveResult },
  rejectCase: { params: O.CaseIdParams, body: O.RejectBody, response: O.CaseView },
  returnCase: { params: O.CaseIdParams, body: O.ReturnBody, response: O.CaseView },
};

export const supportRouteSchemas = {
  listTickets: { params: SS.TenantParams, query: tickets.ListQuery, response: SS.TicketPage },
  openTicket: { params: SS.TenantParams, body: tickets.OpenTicket, response: SS.TicketWithMessages },
  getTicket: { params: SS.TenantTicketParams, response: SS.TicketWithMessages },
  replyToTicket: { params: SS.TenantTicketParams, body: tickets.Reply, response: SS.Message },
  listAccessGrants: { params: SS.TenantParams, query: tenantGrants.ListQuery, response: SS.AccessGrantList },
  approveAccessGrant: { params: SS.TenantGrantParams, response: SS.AccessGrant },
  denyAccessGrant: { params: SS.TenantGrantParams, response: SS.AccessGrant },
  revokeAccessGrant: { params: SS.TenantGrantParams, response: SS.AccessGrant },
  requestAccess: { body: agentGrants.RequestAccess, response: SS.AccessGrant },
  listMyAccessGrants: { query: agentGrants.ListQuery, response: SS.AccessGrantList },
  withdrawAccessGrant: { params: SS.GrantParams, response: agentGrants.Revoked },
  listTenantEmployees: { params: SS.TenantParams, query: agentEmployees.ListQuery, response: agentEmployees.EmployeePage },
  listQueue: { query: agentTickets.QueueQuery, response: agentTickets.QueuePage },
  getQueueTicket: { params: SS.TicketParams, response: SS.TicketWithMessages },
  assignTicket: { params: SS.TicketParams, body: agentTickets.Assign, response: agentTickets.Assigned },
  postAgentMessage: { params: SS.TicketParams, body: agentTickets.AgentMessage, response: SS.Message },
  updateTicket: { params: SS.TicketParams, body: agentTickets.TicketChange, response: SS.Ticket },
};
