// npm run db:down [-- --to VERSION]
import { parseArgs } from "node:util";
import { runMain, say } from "./lib/cli.ts";
import { onDevDatabase } from "./lib/target.ts";
import { down } from "./lib/down.ts";

const { values } = parseArgs({ options: { to: { type: "string" } } });

await runMain(() =>
  onDevDatabase(async (url) => {
    const reverted = await down(url, { to: values.to });
    if (!reverted.length) say("nothing to revert");
  })
);
