import { ConfigError } from '../../infra/config.js';
import { DynamoDbLocalError, JAVA_MISSING_MESSAGE } from '../dynamodb-local.js';
import { PortInUseError } from '../pipeline/ports.js';
import { OptionsError, parseCliOptions, USAGE } from './options.js';
import { type LocalRun, runLocalPipeline } from './run.js';
import { LiveView } from './view.js';

/**
 * `npm start`: the whole pipeline on this machine until Ctrl-C (SIGINT or SIGTERM), which stops the
 * traffic, drains the stream, removes the webhooks, stops every service (the DynamoDB Local JVM included),
 * prints a summary and exits 0. A second Ctrl-C exits at once (the JVM is still killed on exit).
 */

const DUPLICATE_SIGNAL_MS = 1000;

async function main(): Promise<void> {
  let cli: ReturnType<typeof parseCliOptions>;
  try {
    cli = parseCliOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`${error.message}\nSee: npm start -- --help\n`);
    process.exit(2);
  }
  if (cli.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const tty = process.stdout.isTTY === true;
  const view = new LiveView(process.stdout, {
    tty,
    color: tty && process.env.NO_COLOR === undefined,
    verbose: cli.verbose,
    width: process.stdout.columns ?? 100,
  });
  view.banner();
  if (tty) process.stdout.on('resize', () => view.resize(process.stdout.columns ?? 100));

  let run: LocalRun | undefined;
  let stopRequested = false;
  let firstSignalAt = 0;
  const stop = async () => {
    if (run === undefined) return;
    const current = run;
    view.close();
    process.stdout.write('Stopping: traffic, stream drain, webhook removal, services...\n');
    await current.stop();
    view.summary(current, Date.now());
    process.exit(0);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    // npm and tsx pass a terminal's Ctrl-C on as well: the same signal again within a second is that echo.
    if (stopRequested && Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
    if (stopRequested) {
      process.stderr.write(`${signal} again: exiting now (DynamoDB Local is killed on exit).\n`);
      process.exit(130);
    }
    stopRequested = true;
    firstSignalAt = Date.now();
    if (run === undefined) process.stdout.write(`${signal}: stopping once the start-up is done...\n`);
    else void stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    run = await runLocalPipeline({ ...cli.run, onActivity: view.onActivity });
  } catch (error) {
    view.close();
    process.stderr.write(`\n${explain(error, cli.verbose)}\n`);
    process.exit(1);
  }
  if (stopRequested) {
    await stop();
    return;
  }
  view.ready(run);
  view.attach(run);
}

function explain(error: unknown, verbose = false): string {
  if (error instanceof DynamoDbLocalError && error.message.startsWith(JAVA_MISSING_MESSAGE)) {
    return (
      `Cannot start: ${error.message}\n` +
      'DynamoDB Local (the real DynamoDB engine from AWS) is a Java program. Install Java 17 or newer, e.g.\n' +
      '  sudo apt-get install openjdk-17-jre-headless      (Debian/Ubuntu)\n' +
      '  brew install openjdk@17                           (macOS)\n' +
      "(no pure-JavaScript DynamoDB engine, such as dynalite, is among this project's dependencies)."
    );
  }
  if (error instanceof PortInUseError || error instanceof ConfigError)
    return `Cannot start: ${error.message}`;
  if (error instanceof Error) {
    if (verbose && error.stack) return `Cannot start: ${error.stack}`;
    return `Cannot start: ${error.message}\n(npm start -- --verbose shows where it failed)`;
  }
  return `Cannot start: ${String(error)}`;
}

main().catch((error: unknown) => {
  process.stderr.write(`${explain(error, process.argv.includes('--verbose'))}\n`);
  process.exit(1);
});
