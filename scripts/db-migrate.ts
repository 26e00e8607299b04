import { runMain } from "./lib/cli.ts";
import { onDevDatabase } from "./lib/target.ts";
import { migrate } from "./lib/migrate.ts";

await runMain(() => onDevDatabase((url) => migrate(url)));
