// The `link-tracking` command line over the same core as the extension.
import { Command } from 'commander';

export function buildProgram(): Command {
  const program = new Command('link-tracking');
  program.description(
    'Email link tracking: import tracker files, query clicks, serve tracked links.',
  );
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(
        `link-tracking: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    });
}
