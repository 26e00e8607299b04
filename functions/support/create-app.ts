// The support function (Support Portal): the app factory with injected deps,
// so unit tests drive it with app.request() and their own database and keys.
import { createFunctionApp, type FunctionApp } from "../_shared/function-app.ts";
import type { SupportDeps } from "./deps.ts";
import { agentAccessGrantsRoutes } from "./routes/agent-access-grants.ts";
import { agentEmployeesRoutes } from "./routes/agent-employees.ts";
import { agentTicketsRoutes } from "./routes/agent-tickets.ts";
import { tenantAccessGrantsRoutes } from "./routes/tenant-access-grants.ts";
import { ticketsRoutes } from "./routes/tickets.ts";

export type { SupportDeps } from "./deps.ts";

export function createSupportApp(deps: SupportDeps): FunctionApp {
  const app = createFunctionApp("support", {
    http: deps.http,
    verifier: deps.verifier,
    audit: deps.audit,
    description: "Support Portal: tenant tickets; the agents' queue, replies and internal notes; " +
      "time-boxed support access grants (requested by agents, decided by tenant admins, every use audited).",
  });
  app.route("/", ticketsRoutes(deps));
  app.route("/", tenantAccessGrantsRoutes(deps));
  app.route("/", agentTicketsRoutes(deps));
  app.route("/", agentAccessGrantsRoutes(deps));
  app.route("/", agentEmployeesRoutes(deps));
  return app;
}
