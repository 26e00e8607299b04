// Each browser test makes its own tenant and users (random names) in the test
// database, and anything that is not the flow under test goes through the
// typed client in Node — the same code path the pages use — with dev tokens
// minted like `npm run token`. PII therefore takes the real encryption path.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { createKaziClient, type KaziClient } from "../../../packages/kazi-client/src/mod.ts";
import { claimsFor, signDevToken } from "../../../scripts/lib/dev-token.ts";
import { browserEnv } from "./env.ts";

export interface TestUser {
  id: string;
  email: string;
}

export class Fixtures {
  readonly db: pg.Client;
  private constructor(db: pg.Client) {
    this.db = db;
  }

  static async open(): Promise<Fixtures> {
    const db = new pg.Client({ connectionString: browserEnv().databaseUrl, connectionTimeoutMillis: 5000 });
    await db.connect();
    return new Fixtures(db);
  }

  close(): Promise<void> {
    return this.db.end();
  }

  async user(
    label: string,
    email = `${label}-${randomUUID().slice(0, 8)}@browser-test.kazi.example`,
  ): Promise<TestUser> {
    const id = randomUUID();
    await this.db.query(
      `insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
       values ($1, 'authenticated', 'authenticated', $2, now(), '{"provider":"email"}', '{}')`,
      [id, email],
    );
    return { id, email };
  }

  async tenant(): Promise<{ id: string; name: string; slug: string }> {
    const slug = `web-${randomUUID().slice(0, 12)}`;
    const name = `Browser test ${slug}`;
    const { rows } = await this.db.query<{ id: string }>(
      "insert into public.tenants (name, slug) values ($1, $2) returning id",
      [name, slug],
    );
    return { id: rows[0].id, name, slug };
  }

  async member(tenantId: string, role: "owner" | "admin" | "hr_manager" | "employee"): Promise<TestUser> {
    const u = await this.user(role.replace("_", "-"));
    await this.db.query("insert into public.memberships (tenant_id, user_id, role) values ($1, $2, $3)", [
      tenantId,
      u.id,
      role,
    ]);
    return u;
  }

  async agent(): Promise<TestUser> {
    const u = await this.user("agent");
    await this.db.query("insert into public.platform_staff (user_id, role) values ($1, 'platform_support')", [u.id]);
    return u;
  }

  /** A dev token exactly as the dev server mints it. */
  async token(email: string): Promise<string> {
    const keys = browserEnv().keys;
    return signDevToken(await claimsFor(this.db, email, keys), keys);
  }

  async client(email: string): Promise<KaziClient> {
    const token = await this.token(email);
    return createKaziClient({ baseUrl: browserEnv().functionsUrl, accessToken: () => token });
  }

  /** Invited by the owner through the admin function, signed up, accepted: a draft case. */
  async newHire(tenantId: string, owner: TestUser): Promise<{ user: TestUser; caseId: string }> {
    const email = `hire-${randomUUID().slice(0, 8)}@browser-test.kazi.example`;
    const invited = await (await this.client(owner.email)).admin.inviteMember({
      params: { tenantId },
      body: { email, role: "employee" },
    });
    const user = await this.user("hire", email);
    const accepted = await (await this.client(email)).onboarding.acceptInvitation({ body: { token: invited.token } });
    return { user, caseId: accepted.case.id };
  }

  /** A new hire whose details were saved, submitted and approved: an employee with encrypted PII. */
  async employee(
    tenantId: string,
    owner: TestUser,
    phone = "0722 000 111",
  ): Promise<{ employeeId: string; lastName: string }> {
    const hire = await this.newHire(tenantId, owner);
    const kazi = await this.client(hire.user.email);
    const lastName = `Otieno${randomUUID().slice(0, 4)}`;
    const n = String(Math.floor(Math.random() * 1e8)).padStart(8, "1");
    await kazi.onboarding.saveMyDetails({
      params: { caseId: hire.caseId },
      body: {
        first_name: "Akinyi",
        last_name: lastName,
        date_of_birth: "1992-03-14",
        kra_pin: `A${n}7Z`,
        national_id: n,
        phone,
        bank_code: "01",
        branch_code: "094",
        bank_account: `0${n}`,
      },
    });
    await kazi.onboarding.submitMyCase({ params: { caseId: hire.caseId } });
    const approved = await (await this.client(owner.email)).onboarding.approveCase({
      params: { caseId: hire.caseId },
      body: { reason: "Documents checked" },
    });
    return { employeeId: approved.employee.id, lastName };
  }
}
