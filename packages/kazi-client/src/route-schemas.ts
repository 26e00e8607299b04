// Each route's zod schemas, by client method: params, query, body and the
// success response, as the server registers them. The client's types are
// `typeof` these maps (client.ts imports this module with `import type`
// only, so none of it is bundled for the browser).
//
// Where a function exports a schema (functions/<name>/schemas.ts) it is used
// as is. The admin and support route modules declare some schemas inside the
// module without exporting them; those are rebuilt here from the exported
// pieces, and drift.test.ts compares every entry of these maps with the
// schema the route really registers (JSON Schema, input and output), so a
// server change fails the package's tests at once. Once the route modules
// export them, the rebuilt ones become imports.
import { z } from "zod";
import { pageQuerySchema } from "../../../functions/_shared/pagination.ts";
import { piiFieldSchema } from "../../../functions/_shared/pii/fields.ts";
import {
  Employee,
  EmployeePage,
  EmployeeParams,
  MemberParams,
  Reason,
  TenantParams,
  TenantRole,
} from "../../../functions/admin/schemas.ts";
import * as onboarding from "../../../functions/onboarding/schemas.ts";
import { SupportEmployee } from "../../../functions/support/employee-view.ts";
import * as supportShared from "../../../functions/support/schemas.ts";

const { GRANT_STATES, MessageBody, Ticket, TicketPriority, TicketStatus } = supportShared;

const EMPLOYEE_STATUS = z.enum(["active", "on_leave", "suspended", "terminated"]);

const InvitationListed = z.object({
  id: z.uuid(),
  tenant_id: z.uuid(),
  email: z.string(),
  role: TenantRole,
  expires_at: z.string(),
  state: z.enum(["pending", "accepted", "revoked", "expired"]),
  invited_by: z.uuid().nullable(),
  created_at: z.string(),
});

const admin = {
  // routes/tenants.ts
  CreateTenant: z.object({
    name: z.string().trim().min(1).max(200),
    slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/),
    owner_email: z.email().max(320).transform((e) => e.trim().toLowerCase()),
  }),
  TenantCreated: z.object({
    tenant: z.object({ id: z.uuid(), name: z.string(), slug: z.string(), created_at: z.string() }),
    owner: z.object({
      user_id: z.uuid().nullable(),
      invitation_id: z.uuid().nullable(),
      invitation_token: z.string().nullable(),
    }),
  }),
  TenantListQuery: pageQuerySchema.extend({ q: z.string().trim().min(1).max(100).optional() }),
  TenantPage: z.object({
    items: z.array(z.object({
      id: z.uuid(),
      name: z.string(),
      slug: z.string(),
      my_role: z.string().nullable(),
      created_at: z.string(),
    })),
    next_cursor: z.string().nullable(),
  }),
  // routes/members.ts
  MemberList: z.object({
    items: z.array(z.object({
      membership_id: z.uuid(),
      user_id: z.uuid(),
      email: z.string().nullable(),
      display_name: z.string(),
      role: TenantRole,
      created_at: z.string(),
      updated_at: z.string(),
    })),
  }),
  RoleChange: z.object({ role: TenantRole }),
  MembershipRoleChanged: z.object({
    user_id: z.uuid(),
    tenant_id: z.uuid(),
    role: TenantRole,
    previous_role: TenantRole,
  }),
  MemberRemoved: z.object({ user_id: z.uuid(), tenant_id: z.uuid(), role: TenantRole }),
  // routes/invitations.ts
  InvitationRequest: z.object({
    email: z.email().max(320).transform((e) => e.trim().toLowerCase()),
    role: TenantRole,
    expires_in_days: z.number().int().min(1).max(30).default(7),
  }),
  InvitationCreated: z.object({
    invitation: z.object({
      id: z.uuid(),
      tenant_id: z.uuid(),
      email: z.string(),
      role: TenantRole,
      expires_at: z.string(),
    }),
    token: z.string(),
  }),
  InvitationParams: TenantParams.extend({ invitationId: z.uuid() }),
  InvitationListQuery: z.object({ state: z.enum(["pending", "accepted", "revoked", "expired"]).optional() }),
  InvitationListed,
  InvitationList: z.object({ items: z.array(InvitationListed) }),
  // routes/employees.ts
  EmployeeListQuery: pageQuerySchema.extend({
    status: EMPLOYEE_STATUS.optional(),
    department: z.string().trim().min(1).max(200).optional(),
    q: z.string().trim().min(1).max(100).optional(),
  }),
  EmployeeLookup: z.object({ field: z.enum(["national_id", "phone", "kra_pin"]), value: z.string().min(1).max(64) }),
  EmployeeLookupResult: z.object({ items: z.array(Employee) }),
  EmployeeDeleted: z.object({ id: z.uuid(), deleted_at: z.string() }),
  // routes/pii.ts
  RevealRequest: z.object({ field: piiFieldSchema, reason: Reason }),
  RevealedField: z.object({ employee_id: z.uuid(), field: piiFieldSchema, value: z.string() }),
  EraseRequest: z.object({ reason: Reason }),
  ErasedPii: z.object({ employee_id: z.uuid(), erased_fields: z.array(piiFieldSchema) }),
  // routes/audit-events.ts
  AuditQuery: pageQuerySchema.extend({
    action: z.string().min(1).max(100).optional(),
    resource_type: z.string().min(1).max(100).optional(),
    resource_id: z.string().min(1).max(200).optional(),
    actor_id: z.uuid().optional(),
    outcome: z.enum(["success", "denied", "error"]).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  }),
  AuditEventPage: z.object({
    items: z.array(z.object({
      id: z.string(),
      occurred_at: z.string(),
      tenant_id: z.uuid().nullable(),
      actor_id: z.uuid().nullable(),
      actor_role: z.string().nullable(),
      action: z.string(),
      resource_type: z.string().nullable(),
      resource_id: z.string().nullable(),
      ip_address: z.string().nullable(),
      user_agent: z.string().nullable(),
      request_id: z.string().nullable(),
      outcome: z.string(),
      changed_columns: z.array(z.string()).nullable(),
      old_values: z.record(z.string(), z.unknown()).nullable(),
      new_values: z.record(z.string(), z.unknown()).nullable(),
      details: z.record(z.string(), z.unknown()).nullable(),
    })),
    next_cursor: z.string().nullable(),
  }),
};

// routes/key-rotations.ts
const KeyRotationJob = z.object({
  id: z.uuid(),
  tenant_id: z.uuid(),
  kind: z.string(),
  status: z.enum(["running", "completed", "failed"]),
  target_version: z.number().int(),
  rows_total: z.number().int(),
  rows_done: z.number().int(),
  rows_skipped: z.number().int(),
  progress: z.number().min(0).max(1),
  last_error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  finished_at: z.string().nullable(),
});

const keyRotations = {
  KeyRotationJob,
  KeyRotationStarted: z.object({ job: KeyRotationJob, resumed: z.boolean() }),
  KeyRotationJobList: z.object({ items: z.array(KeyRotationJob) }),
  JobParams: TenantParams.extend({ jobId: z.uuid() }),
};

const support = {
  // routes/tickets.ts
  OpenTicket: z.object({
    subject: z.string().trim().min(1).max(200),
    body: MessageBody,
    priority: TicketPriority.default("normal"),
  }),
  TicketReply: z.object({ body: MessageBody }),
  TicketListQuery: pageQuerySchema.extend({ status: TicketStatus.optional(), opened_by: z.literal("me").optional() }),
  // routes/tenant-access-grants.ts
  TenantGrantListQuery: z.object({ state: z.enum(GRANT_STATES).optional() }),
  // routes/agent-access-grants.ts
  RequestAccess: z.object({
    tenant_id: z.uuid(),
    reason: z.string().trim().min(10).max(1000),
    duration_hours: z.number().int().min(1).max(72),
  }),
  AgentGrantListQuery: z.object({ state: z.enum(GRANT_STATES).optional(), tenant_id: z.uuid().optional() }),
  AccessGrantRevoked: z.object({ id: z.uuid(), tenant_id: z.uuid(), status: z.string(), revoked_at: z.string() }),
  // routes/agent-employees.ts
  AgentEmployeeListQuery: pageQuerySchema.extend({ status: EMPLOYEE_STATUS.optional() }),
  SupportEmployeePage: z.object({
    items: z.array(SupportEmployee),
    next_cursor: z.string().nullable(),
    grant_id: z.uuid(),
  }),
  // routes/agent-tickets.ts
  QueueQuery: pageQuerySchema.extend({
    status: TicketStatus.optional(),
    assignee: z.union([z.literal("me"), z.literal("none"), z.uuid()]).optional(),
    tenant_id: z.uuid().optional(),
  }),
  QueuePage: z.object({
    items: z.array(Ticket.extend({
      tenant_name: z.string(),
      assigned_at: z.string().nullable(),
      has_active_grant: z.boolean(),
    })),
    next_cursor: z.string().nullable(),
  }),
  AssignTicket: z.object({ assignee_id: z.uuid().nullable() }),
  TicketAssignment: z.object({
    id: z.uuid(),
    tenant_id: z.uuid(),
    assigned_to: z.uuid().nullable(),
    assigned_at: z.string().nullable(),
  }),
  AgentMessage: z.object({ body: MessageBody, internal: z.boolean().default(false) }),
  TicketChange: z.object({ status: TicketStatus.optional(), priority: TicketPriority.optional() }),
};

const A = admin, K = keyRotations, S = support, O = onboarding, SS = supportShared;

export const adminRouteSchemas = {
  createTenant: { body: A.CreateTenant, response: A.TenantCreated },
  listTenants: { query: A.TenantListQuery, response: A.TenantPage },
  listMembers: { params: TenantParams, response: A.MemberList },
  changeMemberRole: { params: MemberParams, body: A.RoleChange, response: A.MembershipRoleChanged },
  removeMember: { params: MemberParams, response: A.MemberRemoved },
  inviteMember: { params: TenantParams, body: A.InvitationRequest, response: A.InvitationCreated },
  listInvitations: { params: TenantParams, query: A.InvitationListQuery, response: A.InvitationList },
  revokeInvitation: { params: A.InvitationParams, response: A.InvitationListed },
  listEmployees: { params: TenantParams, query: A.EmployeeListQuery, response: EmployeePage },
  lookupEmployees: { params: TenantParams, body: A.EmployeeLookup, response: A.EmployeeLookupResult },
  getEmployee: { params: EmployeeParams, response: Employee },
  deleteEmployee: { params: EmployeeParams, response: A.EmployeeDeleted },
  revealPii: { params: EmployeeParams, body: A.RevealRequest, response: A.RevealedField },
  erasePii: { params: EmployeeParams, body: A.EraseRequest, response: A.ErasedPii },
  listAuditEvents: { params: TenantParams, query: A.AuditQuery, response: A.AuditEventPage },
  startKeyRotation: { params: TenantParams, response: K.KeyRotationStarted },
  listKeyRotations: { params: TenantParams, response: K.KeyRotationJobList },
  getKeyRotation: { params: K.JobParams, response: K.KeyRotationJob },
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
  listTickets: { params: SS.TenantParams, query: S.TicketListQuery, response: SS.TicketPage },
  openTicket: { params: SS.TenantParams, body: S.OpenTicket, response: SS.TicketWithMessages },
  getTicket: { params: SS.TenantTicketParams, response: SS.TicketWithMessages },
  replyToTicket: { params: SS.TenantTicketParams, body: S.TicketReply, response: SS.Message },
  listAccessGrants: { params: SS.TenantParams, query: S.TenantGrantListQuery, response: SS.AccessGrantList },
  approveAccessGrant: { params: SS.TenantGrantParams, response: SS.AccessGrant },
  denyAccessGrant: { params: SS.TenantGrantParams, response: SS.AccessGrant },
  revokeAccessGrant: { params: SS.TenantGrantParams, response: SS.AccessGrant },
  requestAccess: { body: S.RequestAccess, response: SS.AccessGrant },
  listMyAccessGrants: { query: S.AgentGrantListQuery, response: SS.AccessGrantList },
  withdrawAccessGrant: { params: SS.GrantParams, response: S.AccessGrantRevoked },
  listTenantEmployees: { params: SS.TenantParams, query: S.AgentEmployeeListQuery, response: S.SupportEmployeePage },
  listQueue: { query: S.QueueQuery, response: S.QueuePage },
  getQueueTicket: { params: SS.TicketParams, response: SS.TicketWithMessages },
  assignTicket: { params: SS.TicketParams, body: S.AssignTicket, response: S.TicketAssignment },
  postAgentMessage: { params: SS.TicketParams, body: S.AgentMessage, response: SS.Message },
  updateTicket: { params: SS.TicketParams, body: S.TicketChange, response: SS.Ticket },
};
