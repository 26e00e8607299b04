import { runMain } from "./lib/cli.ts";
import { onDevDatabase } from "./lib/target.ts";
import { seed } from "./lib/seed.ts";

await runMain(() => onDevDatabase((url) => seed(url)));
