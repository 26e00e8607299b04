// POST /invitations/accept: the invitee presents the token from their link.
// The database (private.accept_invitation, migration 20261126002000) checks
// it against the stored sha256, the expiry, single use and the invitee's
// email, then creates the membership with the offered role and the invitee's
// draft onboarding case, all in the caller's transaction.

import { createRoute } from "@hono/zod-openapi";
import { sql } from "kysely";
import { eventFrom } from "../../_shared/audit.ts";
import { requestContext } from "../../_shared/context.ts";
import { withUser } from "../../_shared/db.ts";
import { isAppError } from "../../_shared/errors.ts";
import { idempotent } from "../../_shared/idempotency.ts";
import { hashInvitationToken } from "../../_shared/invitation-token.ts";
import { errorResponses } from "../../_shared/openapi.ts";
import { requireCase, toView } from "../case-store.ts";
import { type RouteDeps, router } from "../deps.ts";
import { AcceptBody, AcceptResult } from "../schemas.ts";

export function invitationRoutes(deps: RouteDeps) {
  const app = router();

  const accept = createRoute({
    method: "post",
    path: "/invitations/accept",
    summary: "Accept an invitation (single use, expiring); opens my onboarding case",
    description:
      "Creates the membership with the offered role and a draft onboarding case for the caller. The caller's email must be the one invited. Honours Idempotency-Key.",
    middleware: [idempotent(deps.idempotency)] as const,
    request: { body: { required: true, content: { "application/json": { schema: AcceptBody } } } },
    responses: {
      201: { description: "Accepted", content: { "application/json": { schema: AcceptResult } } },
      ...errorResponses(400, 401, 403, 404, 409, 422, 500),
    },
  });

  app.openapi(accept, async (c) => {
    const ctx = requestContext(c);
    const { token } = c.req.valid("json");
    const hash = await hashInvitationToken(token);
    try {
      const out = await withUser(deps.db, ctx, async (trx) => {
        const { rows: [accepted] } = await sql<{
          invitation_id: string;
          tenant_id: string;
          role: string;
          membership_id: string;
          case_id: string;
        }>`select * from private.accept_invitation(${hash}::bytea)`.execute(trx);
        const row = await requireCase(trx, accepted.case_id);
        return { accepted, row };
      });
      const { case_id: _caseId, ...accepted } = out.accepted;
      return c.json({ ...accepted, case: await toView(deps.vault, out.row) }, 201);
    } catch (err) {
      if (isAppError(err) && ["forbidden", "not_found", "conflict", "business_rule"].includes(err.code)) {
        // A refused acceptance is a security event (token guessing, a forwarded link).
        await deps.audit.record(eventFrom(ctx, {
          action: "invitation.accept_refused",
          outcome: "denied",
          resourceType: "invitation",
          details: { reason: err.code },
        }));
      }
      throw err;
    }
  });

  return app;
}
