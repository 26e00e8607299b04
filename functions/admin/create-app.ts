// The admin function (Admin Portal): the app factory with injected deps, so
// unit tests drive it with app.request() and their own database and keys.
import { createFunctionApp, type FunctionApp } from "../_shared/function-app.ts";
import type { AdminDeps } from "./deps.ts";
import { auditEventsRoutes } from "./routes/audit-events.ts";
import { employeesRoutes } from "./routes/employees.ts";
import { invitationsRoutes } from "./routes/invitations.ts";
import { keyRotationsRoutes } from "./routes/key-rotations.ts";
import { membersRoutes } from "./routes/members.ts";
import { piiRoutes } from "./routes/pii.ts";
import { tenantsRoutes } from "./routes/tenants.ts";

export type { AdminDeps } from "./deps.ts";

export function createAdminApp(deps: AdminDeps): FunctionApp {
  const app = createFunctionApp("admin", {
    http: deps.http,
    verifier: deps.verifier,
    audit: deps.audit,
    description: "Admin Portal: tenants, members, employees (masked), PII reveal and erasure, audit trail, key rotation.",
  });
  app.route("/", tenantsRoutes(deps));
  app.route("/", membersRoutes(deps));
  app.route("/", invitationsRoutes(deps));
  app.route("/", employeesRoutes(deps));
  app.route("/", piiRoutes(deps));
  app.route("/", auditEventsRoutes(deps));
  app.route("/", keyRotationsRoutes(deps));
  return app;
}
