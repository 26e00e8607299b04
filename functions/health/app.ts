// Boot: parse the environment (fail at start when it is wrong), open the pool.
import { boot } from "../_shared/boot.ts";
import { latestMigration } from "../_shared/db.ts";
import { createHealthApp } from "./create-app.ts";

const { config, db, audit } = boot([]);

export const app = createHealthApp({ http: config.http, audit, probe: () => latestMigration(db) });
