// Approving a submitted onboarding case, as the reviewer (withUser: RLS and
// the workflow trigger see them):
//   1. read the case; the database says whether the caller may review
//      (private.has_permission(tenant, 'onboarding.review')); nobody decides
//      their own case;
//   2. outside any transaction: decrypt the case's protected values (bound to
//      the case row) and re-encrypt them bound to the employee row, with blind
//      indexes;
//   3. in one transaction: refuse a KRA PIN / national ID already held by
//      another employee of the tenant (409), create the employee (or update
//      the subject's existing one), mark the case approved with its reason and
//      employee, clear the case's ciphertexts (the employee row now holds
//      them, so erasing an employee leaves no copy behind), and audit it. The
//      case update checks updated_at, so a case changed since step 1 is a 409.

import { sql } from "kysely";
import { eventFrom, recordInTransaction } from "../_shared/audit.ts";
import type { RequestContext } from "../_shared/context.ts";
import { withUser } from "../_shared/db.ts";
import { errors } from "../_shared/errors.ts";
import { PII_FIELDS, type PiiField } from "../_shared/pii/fields.ts";
import { CASE_TABLE, caseHistory, type CaseRow, ciphertextOf, decryptOrThrow, requireCase } from "./case-store.ts";
import { auditingRefusals, type RouteDeps } from "./deps.ts";
import { assertReviewer } from "./reviewer.ts";
import type { Approve } from "./schemas.ts";

export const UNIQUE_FIELDS: readonly PiiField[] = ["kra_pin", "national_id"];

interface Sealed {
  ciphertext: Uint8Array;
  blindIndex: Uint8Array;
}

export function defaultEmployeeNumber(caseId: string): string {
  return `ONB-${caseId.replaceAll("-", "").slice(0, 8).toUpperCase()}`;
}

export async function approveCase(deps: RouteDeps, ctx: RequestContext, caseId: string, body: Approve) {
  // 1. read and authorise
  const { row, existing } = await auditingRefusals(deps, ctx, () =>
    withUser(deps.db, ctx, async (trx) => {
      const row = await requireCase(trx, caseId);
      await assertReviewer(ctx, trx, row, "approve");
      if (row.status !== "submitted") {
        throw errors.conflict("Only a submitted case can be approved.", { status: row.status });
      }
      if (!row.first_name || !row.last_name) {
        throw errors.businessRule("The case has no name; return it for changes (POST /cases/{caseId}/return).");
      }
      const existing = row.subject_user_id
        ? await trx.selectFrom("employees").select(["id", "employee_number"])
          .where("tenant_id", "=", row.tenant_id).where("user_id", "=", row.subject_user_id)
          .where("deleted_at", "is", null).executeTakeFirst()
        : undefined;
      return { row, existing };
    }));

  // 2. move the protected values from the case row to the employee row
  const employeeId = existing?.id ?? crypto.randomUUID();
  const sealed: Partial<Record<PiiField, Sealed>> = {};
  for (const field of PII_FIELDS) {
    const ciphertext = ciphertextOf(row, field);
    if (!ciphertext) continue;
    let value: string;
    try {
      value = await decryptOrThrow(deps.vault, { tenantId: row.tenant_id, table: CASE_TABLE, field, rowId: row.id, ciphertext });
    } catch (err) {
      // An unreadable value (tampered, moved or shredded ciphertext) is a
      // security event, recorded without detail, as a failed reveal is.
      await deps.audit.record(eventFrom(ctx, {
        action: "onboarding_case.approved",
        tenantId: row.tenant_id,
        resourceType: "onboarding_case",
        resourceId: row.id,
        outcome: "error",
        details: { field, refused: "unreadable" },
      }));
      throw err;
    }
    sealed[field] = await deps.vault.encryptField({
      tenantId: row.tenant_id,
      table: "employees",
      field,
      rowId: employeeId,
      value,
    });
  }

  // 3. write everything at once
  return await withUser(deps.db, ctx, async (trx) => {
    const duplicates: string[] = [];
    for (const field of UNIQUE_FIELDS) {
      const s = sealed[field];
      if (!s) continue;
      const clash = await trx.selectFrom("employees").select("id")
        .where("tenant_id", "=", row.tenant_id)
        .where(`${field}_blind_index` as "kra_pin_blind_index", "=", s.blindIndex)
        .where("id", "<>", employeeId)
        .executeTakeFirst();
      if (clash) duplicates.push(field);
    }
    if (duplicates.length) {
      throw errors.conflict("Another employee of this organisation already has this value.", { fields: duplicates });
    }

    const pii: Record<string, Uint8Array> = {};
    for (const [field, s] of Object.entries(sealed)) {
      pii[`${field}_ciphertext`] = s.ciphertext;
      pii[`${field}_blind_index`] = s.blindIndex;
    }
    const common = {
      first_name: row.first_name!,
      last_name: row.last_name!,
      other_names: row.other_names,
      date_of_birth: row.date_of_birth,
      bank_code: row.bank_code,
      branch_code: row.branch_code,
      ...(body.job_title !== undefined ? { job_title: body.job_title } : {}),
      ...(body.department !== undefined ? { department: body.department } : {}),
      ...(body.employment_start_date !== undefined ? { employment_start_date: body.employment_start_date } : {}),
      ...pii,
    };
    let employeeNumber: string;
    if (existing) {
      const updated = await trx.updateTable("employees").set(common)
        .where("id", "=", existing.id).where("tenant_id", "=", row.tenant_id)
        .returning("employee_number").executeTakeFirst();
      if (!updated) throw errors.forbidden();
      employeeNumber = updated.employee_number;
    } else {
      employeeNumber = body.employee_number ?? defaultEmployeeNumber(row.id);
      await trx.insertInto("employees").values({
        id: employeeId,
        tenant_id: row.tenant_id,
        user_id: row.subject_user_id,
        employee_number: employeeNumber,
        ...common,
      }).execute();
    }

    const decided = await trx.updateTable("onboarding_cases")
      .set({
        status: "approved",
        decision_reason: body.reason,
        employee_id: employeeId,
        ...(body.job_title !== undefined ? { job_title: body.job_title } : {}),
        ...(body.department !== undefined ? { department: body.department } : {}),
        ...(body.employment_start_date !== undefined ? { employment_start_date: body.employment_start_date } : {}),
        kra_pin_ciphertext: null,
        national_id_ciphertext: null,
        phone_ciphertext: null,
        bank_account_ciphertext: null,
      })
      .where("id", "=", row.id).where("status", "=", "submitted")
      .where(sql<boolean>`updated_at = ${row.updated_key}::timestamptz`)
      .executeTakeFirst();
    if (decided.numUpdatedRows === 0n) throw errors.conflict("The case changed meanwhile; read it and try again.");

    await recordInTransaction(
      trx,
      eventFrom(ctx, {
        action: "onboarding_case.approved",
        tenantId: row.tenant_id,
        resourceType: "onboarding_case",
        resourceId: row.id,
        details: { employee_id: employeeId, employee_created: !existing },
      }),
    );
    const saved: CaseRow = await requireCase(trx, row.id);
    return {
      row: saved,
      history: await caseHistory(trx, saved),
      employee: { id: employeeId, created: !existing, employee_number: employeeNumber },
    };
  });
}
