// Who may decide an onboarding case: the database says whether the caller
// holds onboarding.review in the case's tenant; nobody decides their own case
// (segregation of duties). A refusal is audited by auditingRefusals.

import type { RequestContext } from "../_shared/context.ts";
import type { Trx } from "../_shared/db.ts";
import { errors } from "../_shared/errors.ts";
import { hasPermission } from "../_shared/caller.ts";
import type { CaseRow } from "./case-store.ts";
import { Refused } from "./deps.ts";

/**
 * Throws Refused unless the caller holds onboarding.review in the case's
 * tenant and is not its subject (wrap the route in auditingRefusals).
 */
export async function assertReviewer(
  ctx: RequestContext,
  trx: Trx,
  row: CaseRow,
  operation: "approve" | "reject" | "return",
): Promise<void> {
  const allowed = await hasPermission(trx, row.tenant_id, "onboarding.review");
  const own = row.subject_user_id === ctx.caller?.userId;
  if (allowed && !own) return;
  throw new Refused({
    action: "onboarding.access_denied",
    tenantId: row.tenant_id,
    resourceType: "onboarding_case",
    resourceId: row.id,
    details: { operation, permission: "onboarding.review", reason: own ? "own_case" : "missing_permission" },
  }, own ? errors.forbidden("You cannot decide your own onboarding case.") : errors.forbidden());
}
