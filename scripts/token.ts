// npm run token -- --user EMAIL: a signed dev JWT for a seeded user, so the
// functions can be called without Supabase Auth running.
import { parseArgs } from "node:util";
import { runMain, ToolError } from "./lib/cli.ts";
import { readEnvFile } from "./lib/secrets.ts";
import { devDatabase } from "./lib/target.ts";
import { withClient } from "./lib/pg.ts";
import { claimsFor, type DevTokenKeys, signDevToken } from "./lib/dev-token.ts";

const { values } = parseArgs({ options: { user: { type: "string" }, ttl: { type: "string", default: "3600" } } });

await runMain(async () => {
  if (!values.user) throw new ToolError("usage: npm run token -- --user EMAIL [--ttl SECONDS]");
  const secrets = readEnvFile();
  if (!secrets) throw new ToolError("no .env.local yet: run `npm start` once first");
  const { server, url } = await devDatabase({ quiet: true });
  try {
    const claims = await withClient(url, (c) =>
      claimsFor(c, values.user!, secrets as unknown as DevTokenKeys, Number(values.ttl)).catch((err) => {
        throw new ToolError((err as Error).message);
      })
    );
    console.log(await signDevToken(claims, secrets as unknown as DevTokenKeys));
  } finally {
    await server.stop();
  }
});
