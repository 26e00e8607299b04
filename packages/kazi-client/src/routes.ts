// Every route of the three functions, by client method name: HTTP method and
// path template exactly as the function's OpenAPI document lists them.
// routes.test.ts compares this table with each function's route registry in
// both directions, so a route added, moved or removed on the server fails the
// package's tests until the client follows.

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface RouteRef {
  readonly method: HttpMethod;
  readonly path: string;
}

export const ROUTES = {
  admin: {
    createTenant: { method: "post", path: "/tenants" },
    listTenants: { method: "get", path: "/tenants" },
    offboardTenant: { method: "post", path: "/tenants/{tenantId}/offboarding" },
    listMembers: { method: "get", path: "/tenants/{tenantId}/members" },
    changeMemberRole: { method: "patch", path: "/tenants/{tenantId}/members/{userId}" },
    removeMember: { method: "delete", path: "/tenants/{tenantId}/members/{userId}" },
    inviteMember: { method: "post", path: "/tenants/{tenantId}/invitations" },
    listInvitations: { method: "get", path: "/tenants/{tenantId}/invitations" },
    revokeInvitation: { method: "delete", path: "/tenants/{tenantId}/invitations/{invitationId}" },
    listEmployees: { method: "get", path: "/tenants/{tenantId}/employees" },
    lookupEmployees: { method: "post", path: "/tenants/{tenantId}/employees/lookup" },
    getEmployee: { method: "get", path: "/tenants/{tenantId}/employees/{employeeId}" },
    deleteEmployee: { method: "delete", path: "/tenants/{tenantId}/employees/{employeeId}" },
    revealPii: { method: "post", path: "/tenants/{tenantId}/employees/{employeeId}/reveal" },
    erasePii: { method: "post", path: "/tenants/{tenantId}/employees/{employeeId}/erase-pii" },
    listAuditEvents: { method: "get", path: "/tenants/{tenantId}/audit-events" },
    startKeyRotation: { method: "post", path: "/tenants/{tenantId}/key-rotations" },
    listKeyRotations: { method: "get", path: "/tenants/{tenantId}/key-rotations" },
    getKeyRotation: { method: "get", path: "/tenants/{tenantId}/key-rotations/{jobId}" },
  },
  onboarding: {
    acceptInvitation: { method: "post", path: "/invitations/accept" },
    listMyCases: { method: "get", path: "/me/cases" },
    getMyCase: { method: "get", path: "/me/cases/{caseId}" },
    saveMyDetails: { method: "put", path: "/me/cases/{caseId}/details" },
    submitMyCase: { method: "post", path: "/me/cases/{caseId}/submit" },
    revealMyPii: { method: "post", path: "/me/cases/{caseId}/reveal" },
    listCases: { method: "get", path: "/cases" },
    getCase: { method: "get", path: "/cases/{caseId}" },
    approveCase: { method: "post", path: "/cases/{caseId}/approve" },
    rejectCase: { method: "post", path: "/cases/{caseId}/reject" },
    returnCase: { method: "post", path: "/cases/{caseId}/return" },
  },
  support: {
    listTickets: { method: "get", path: "/tenants/{tenantId}/tickets" },
    openTicket: { method: "post", path: "/tenants/{tenantId}/tickets" },
    getTicket: { method: "get", path: "/tenants/{tenantId}/tickets/{ticketId}" },
    replyToTicket: { method: "post", path: "/tenants/{tenantId}/tickets/{ticketId}/messages" },
    listAccessGrants: { method: "get", path: "/tenants/{tenantId}/access-grants" },
    approveAccessGrant: { method: "post", path: "/tenants/{tenantId}/access-grants/{grantId}/approve" },
    denyAccessGrant: { method: "post", path: "/tenants/{tenantId}/access-grants/{grantId}/deny" },
    revokeAccessGrant: { method: "post", path: "/tenants/{tenantId}/access-grants/{grantId}/revoke" },
    requestAccess: { method: "post", path: "/agent/access-grants" },
    listMyAccessGrants: { method: "get", path: "/agent/access-grants" },
    withdrawAccessGrant: { method: "post", path: "/agent/access-grants/{grantId}/revoke" },
    listTenantEmployees: { method: "get", path: "/agent/tenants/{tenantId}/employees" },
    listQueue: { method: "get", path: "/agent/tickets" },
    getQueueTicket: { method: "get", path: "/agent/tickets/{ticketId}" },
    assignTicket: { method: "post", path: "/agent/tickets/{ticketId}/assign" },
    postAgentMessage: { method: "post", path: "/agent/tickets/{ticketId}/messages" },
    updateTicket: { method: "patch", path: "/agent/tickets/{ticketId}" },
  },
} as const satisfies Record<string, Record<string, RouteRef>>;

export type FunctionName = keyof typeof ROUTES;
