/** @module The `cutroom` command line: parses arguments and hands off to one module per command. */
import { Command, Option } from 'commander';
import { isCutroomError } from './errors.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function buildProgram(): Command {
  const program = new Command('cutroom')
    .description('Chat-ops video editor: clips in, an AI agent edits in headless Chromium, MP4 out.')
    .showHelpAfterError();

  program
    .command('doctor')
    .description(
      'check Chromium, codecs, ffmpeg, Redis, fonts; live: the LLM endpoint (a tool call, an image), Slack, Discord',
    )
    .option('--json', 'print the checks as JSON, for scripts')
    .action(async (opts) => (await import('./commands/doctor.ts')).doctor(opts));

  program
    .command('render')
    .description('run one code action on the inputs (no LLM), sample 1 fps previews and render an MP4')
    .requiredOption('--input <file>', 'a clip; repeat for more (upload order)', collect, [])
    .requiredOption('--script <file>', 'the code action: the body of an async function')
    .requiredOption('--out <file>', 'where to write the MP4')
    .option('--previews <dir>', 'write 1 fps preview frames and a contact sheet here')
    .action(async (opts) => (await import('./commands/render.ts')).render(opts));

  program
    .command('edit')
    .description('the whole agent locally: inputs and a prompt in, an MP4 out')
    .option('--input <file>', 'a clip; repeat for more (upload order)', collect, [])
    .option('--prompt <text>', 'what to do (required unless --undo)')
    .option('--out <file>', 'where to write the MP4', 'out.mp4')
    .option('--previews <dir>', 'write the preview contact sheets here')
    .option('--continue', 'iterate on the last version in the state directory')
    .option('--undo', 'go back one version in the state directory')
    .option('--state <dir>', 'where versions are kept (default: <CUTROOM_DATA_DIR>/local)')
    .action(async (opts) => (await import('./commands/edit.ts')).edit(opts));

  program
    .command('eval')
    .description('run the edit-task suite against the configured endpoint and print a scorecard')
    .option('--list', 'list the tasks and exit')
    .option('--only <name...>', 'run only these tasks')
    .option('--repeat <n>', 'runs of each task', '1')
    .option('--out <file>', 'write the report as JSON')
    .option('--keep', 'keep the fixtures and renders, and print where')
    .action(async (opts) => (await import('./commands/eval.ts')).evalCommand(opts));

  program
    .command('start')
    .description('everything in one process: bots for each configured platform, workers, embedded Redis')
    .action(async () => (await import('./commands/start.ts')).start());

  program
    .command('bot')
    .description('only the chat bots (Slack, Discord) and the delivery consumers')
    .action(async () => (await import('./commands/bot.ts')).bot());

  program
    .command('worker')
    .description('only the edit workers')
    .action(async () => (await import('./commands/worker.ts')).worker());

  program
    .command('browser-server')
    .description('serve Playwright browser sessions over WebSocket for remote workers')
    .addOption(new Option('--port <n>', 'port').default('9223'))
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--max-sessions <n>', 'concurrent sessions', '2')
    .action(async (opts) => (await import('./commands/browser-server.ts')).browserServer(opts));

  program
    .command('discord')
    .description('Discord utilities')
    .command('register-commands')
    .description('register the /edit slash command (globally, or in DISCORD_DEV_GUILD_ID)')
    .option('--guild <id>', 'register in one guild only (fast, for development)')
    .action(async (opts) => {
      await (await import('./commands/discord-register.ts')).registerCommands(opts);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (isCutroomError(error)) {
      process.stderr.write(`cutroom: ${error.message}\n`);
    } else {
      process.stderr.write(
        `cutroom: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
    process.exitCode = 1;
  }
}
