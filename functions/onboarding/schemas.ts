// Request and response shapes of the onboarding API (zod, with OpenAPI names).
// Protected fields are validated and normalised by ../_shared/pii; responses
// carry them masked (lists, case views) or, only from the reveal route, in
// plaintext.

import { z } from "@hono/zod-openapi";
import { invitationTokenSchema } from "../_shared/invitation-token.ts";
import { pageQuerySchema } from "../_shared/pagination.ts";
import { PII_FIELDS } from "../_shared/pii/fields.ts";
import { bankAccountSchema, bankCodeSchema, branchCodeSchema, nationalIdSchema } from "../_shared/pii/digits.ts";
import { kraPinSchema } from "../_shared/pii/kra-pin.ts";
import { phoneSchema } from "../_shared/pii/phone.ts";

export const CASE_STATUSES = ["draft", "submitted", "approved", "rejected"] as const;
export const CaseStatusSchema = z.enum(CASE_STATUSES);
export type CaseStatus = z.infer<typeof CaseStatusSchema>;

export const CaseIdParams = z.object({
  caseId: z.uuid().openapi({ param: { name: "caseId", in: "path" }, example: "7d6f0c1e-3b0a-4c57-9f55-2b8f4f0d1a22" }),
});

const name = (max: number) => z.string().trim().min(1, "Must not be empty").max(max, `At most ${max} characters`);

/** Today's date (UTC) minus `years`, as YYYY-MM-DD. */
function yearsAgo(years: number, now = new Date()): string {
  const d = new Date(Date.UTC(now.getUTCFullYear() - years, now.getUTCMonth(), now.getUTCDate()));
  return d.toISOString().slice(0, 10);
}

export const MIN_WORKING_AGE = 16;

export const dateOfBirthSchema = z.iso.date("Must be a date like 1990-04-30").refine(
  (d) => d > "1900-01-01" && d <= yearsAgo(MIN_WORKING_AGE),
  `Must be a real date of birth at least ${MIN_WORKING_AGE} years ago`,
);

const nullable = <S extends z.ZodType>(s: S) => s.nullable().optional();

/**
 * Saving my details: every field optional (omitted = unchanged, null = clear).
 * Each invalid field is reported on its own path; nothing is written.
 */
export const SaveDetailsBody = z
  .strictObject({
    first_name: nullable(name(100)),
    last_name: nullable(name(100)),
    other_names: nullable(name(200)),
    date_of_birth: nullable(dateOfBirthSchema).openapi({ example: "1994-05-17" }),
    kra_pin: nullable(kraPinSchema).openapi({ example: "A123456789B" }),
    national_id: nullable(nationalIdSchema).openapi({ example: "12345678" }),
    phone: nullable(phoneSchema).openapi({ example: "+254712345678" }),
    bank_code: nullable(bankCodeSchema).openapi({ example: "01" }),
    branch_code: nullable(branchCodeSchema).openapi({ example: "094" }),
    bank_account: nullable(bankAccountSchema).openapi({ example: "0123456789" }),
  })
  .refine((b) => Object.keys(b).length > 0, "Send at least one field to save")
  .openapi("SaveDetails");
export type SaveDetails = z.infer<typeof SaveDetailsBody>;

export const PiiFieldSchema = z.enum(PII_FIELDS);

export const MaskedPii = z
  .object({
    kra_pin: z.string().nullable().openapi({ example: "A12******9B" }),
    national_id: z.string().nullable().openapi({ example: "****5678" }),
    phone: z.string().nullable().openapi({ example: "+2547******78" }),
    bank_account: z.string().nullable().openapi({ example: "****6789" }),
  })
  .openapi("MaskedPii", {
    description: 'Masked protected fields (null when not set). "[unavailable]" when a value cannot be read.',
  });

export const StatusChange = z
  .object({
    from_status: CaseStatusSchema.nullable(),
    to_status: CaseStatusSchema,
    reason: z.string().nullable(),
    changed_by: z.uuid().nullable(),
    changed_at: z.string(),
  })
  .openapi("StatusChange");

export const CaseView = z
  .object({
    id: z.uuid(),
    tenant_id: z.uuid(),
    subject_user_id: z.uuid().nullable(),
    status: CaseStatusSchema,
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    other_names: z.string().nullable(),
    date_of_birth: z.string().nullable().openapi({ example: "1994-05-17" }),
    job_title: z.string().nullable(),
    department: z.string().nullable(),
    employment_start_date: z.string().nullable(),
    bank_code: z.string().nullable(),
    branch_code: z.string().nullable(),
    pii: MaskedPii,
    decision_reason: z.string().nullable(),
    employee_id: z.uuid().nullable(),
    submitted_at: z.string().nullable(),
    decided_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    history: z.array(StatusChange).optional(),
  })
  .openapi("OnboardingCase");
export type CaseViewT = z.infer<typeof CaseView>;

export const CaseList = z
  .object({ items: z.array(CaseView), next_cursor: z.string().nullable() })
  .openapi("OnboardingCaseList");

export const RevealBody = z
  .strictObject({
    fields: z.array(PiiFieldSchema).min(1).max(4).optional().openapi({
      description: "Which fields to reveal (default: all four).",
    }),
  })
  .openapi("RevealMyPii");

export const RevealResult = z
  .object({
    case_id: z.uuid(),
    values: z.object({
      kra_pin: z.string().nullable().optional(),
      national_id: z.string().nullable().optional(),
      phone: z.string().nullable().optional(),
      bank_account: z.string().nullable().optional(),
    }),
  })
  .openapi("RevealedPii");

export const reasonSchema = z.string().trim().min(1, "A reason is required").max(2000, "At most 2000 characters");

export const RejectBody = z.strictObject({ reason: reasonSchema }).openapi("RejectCase");

export const ReturnBody = z.strictObject({ reason: reasonSchema }).openapi("ReturnCase");

export const ApproveBody = z
  .strictObject({
    reason: reasonSchema,
    employee_number: z.string().trim().min(1).max(40).optional().openapi({
      description: "Defaults to ONB-<first 8 characters of the case id>.",
    }),
    job_title: z.string().trim().min(1).max(200).optional(),
    department: z.string().trim().min(1).max(200).optional(),
    employment_start_date: z.iso.date().optional(),
  })
  .openapi("ApproveCase");
export type Approve = z.infer<typeof ApproveBody>;

export const ApproveResult = z
  .object({ case: CaseView, employee: z.object({ id: z.uuid(), created: z.boolean(), employee_number: z.string() }) })
  .openapi("ApprovedCase");

export const AcceptBody = z.strictObject({ token: invitationTokenSchema }).openapi("AcceptInvitation");

export const AcceptResult = z
  .object({
    invitation_id: z.uuid(),
    tenant_id: z.uuid(),
    role: z.string(),
    membership_id: z.uuid(),
    case: CaseView,
  })
  .openapi("AcceptedInvitation");

export const ListQuery = pageQuerySchema.extend({
  tenant_id: z.uuid(),
  status: CaseStatusSchema.optional(),
});

/** Sort key of the review list: (created_at, id), oldest first. */
export const ListCursor = z.object({
  t: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  id: z.uuid(),
});
