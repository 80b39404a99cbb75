// The `link-tracking` command line over the same core as the extension.
import { Command, CommanderError } from 'commander';
import { usageExit } from './cliSupport';
import { registerContactsCommands } from './contactsCommands';
import { registerImportCommands } from './importCommands';
import { registerServerCommands } from './serverCommands';
import { registerValidateCommands } from './validateCommand';

export function buildProgram(): Command {
  const program = new Command('link-tracking');
  program.description(
    'Email link tracking: import tracker files, query clicks, serve tracked links.',
  );
  program.exitOverride(usageExit);
  // A word too many (`import a.xml b.xml`) is wrong usage, not something to ignore. Each command
  // registered below inherits this.
  program.allowExcessArguments(false);
  registerImportCommands(program);
  registerContactsCommands(program);
  registerServerCommands(program);
  registerValidateCommands(program);
  return program;
}

if (require.main === module) {
  // A reader that stops early (`link-tracking clicks | head`) closes the pipe: stop quietly, as
  // command-line tools do, with the exit code already decided (1 for a refused import). Any other
  // failure to write the output (a full disk) is said in one line.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') {
      process.stderr.write(`link-tracking: cannot write the output (${error.message})\n`);
      process.exitCode = 1;
    }
    process.exit();
  });
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      // Commander has already printed its own message; keep the exit code it was given.
      if (error instanceof CommanderError) {
        process.exitCode = error.exitCode;
        return;
      }
      process.stderr.write(
        `link-tracking: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    });
}
