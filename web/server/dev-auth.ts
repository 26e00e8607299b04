// Dev sign-in for the reference pages: list the database's users and mint a
// token for one of them, server-side, with the local dev key (the page never
// sees a key). Tokens carry the same claims Supabase Auth + our access token
// hook would give (scripts/lib/dev-token.ts). Local development only: the
// server refuses to start these routes without KAZI_DEV_JWT_PRIVATE_JWK.
import pg from "pg";
import { claimsFor, type DevTokenKeys, signDevToken } from "../../scripts/lib/dev-token.ts";

export interface DevUser {
  email: string;
  /** e.g. ["owner @ acme", "platform_support"] — hints for choosing, not authority. */
  roles: string[];
}

export interface DevAuth {
  users(filter: string): Promise<DevUser[]>;
  token(email: string): Promise<string>;
  close(): Promise<void>;
}

const TOKEN_TTL_SECONDS = 3600;
const MAX_USERS = 50;

export function createDevAuth(databaseUrl: string, keys: DevTokenKeys): DevAuth {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, connectionTimeoutMillis: 3000 });
  pool.on("error", () => {});

  return {
    async users(filter) {
      // Literal substring match: the filter's % and _ are escaped.
      const like = `%${filter.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      const { rows } = await pool.query<{ email: string; roles: string[] | null }>(
        `select u.email,
                array_remove(array_agg(distinct m.role || ' @ ' || t.slug) || array_agg(distinct s.role::text), null) as roles
           from auth.users u
           left join public.memberships m on m.user_id = u.id
           left join public.tenants t on t.id = m.tenant_id
           left join public.platform_staff s on s.user_id = u.id
          where u.email ilike $1
          group by u.email
          order by u.email
          limit ${MAX_USERS}`,
        [like],
      );
      return rows.map((r) => ({ email: r.email, roles: r.roles ?? [] }));
    },
    async token(email) {
      const client = await pool.connect();
      try {
        return await signDevToken(
          await claimsFor(client as unknown as pg.Client, email, keys, TOKEN_TTL_SECONDS),
          keys,
        );
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
