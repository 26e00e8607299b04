// Shared shape of every npm script: one clear line on failure, never a stack
// for an expected problem, and a non-zero exit.
export class ToolError extends Error {}

export function say(message: string): void {
  console.log(`kazi: ${message}`);
}

export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (err instanceof ToolError) {
      console.error(`kazi: ${err.message}`);
    } else {
      console.error(err);
    }
    process.exit(1);
  }
}
