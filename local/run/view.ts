import type { SlackPost } from '../pipeline/slack-receiver.js';
import type { Activity, IngestAnswer, RenderedEmail } from './activity.js';
import type { LocalRun } from './run.js';
import { plannedRedeliveries, plannedRounds, type TrafficOptions } from './traffic.js';

/**
 * The terminal view of `npm start`: what happens, as it happens. On a terminal, a status block at the
 * bottom is redrawn twice a second and everything else scrolls above it; elsewhere (CI, a pipe) plain
 * lines only, with a status line every few seconds.
 */

export interface ViewOptions {
  readonly tty: boolean;
  readonly color: boolean;
  readonly verbose: boolean;
  /** Columns of the terminal. @default 100 */
  readonly width?: number;
}

type Out = { write(text: string): unknown };

const STATUS_EVERY_MS_TTY = 500;
const STATUS_EVERY_MS_PLAIN = 5_000;
/** Width of the labels of the status lines ("published        "). */
const STATUS_LABEL_WIDTH = 17;

export class LiveView {
  private run: LocalRun | undefined;
  private statusLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly processStart = Date.now() - process.uptime() * 1000;
  private firstPublishedAt: number | undefined;

  constructor(
    private readonly out: Out,
    private readonly opts: ViewOptions,
  ) {
    this.columns = opts.width ?? 100;
  }

  private columns: number;

  /** The terminal was resized. */
  resize(columns: number): void {
    this.columns = columns;
  }

  private get width(): number {
    // One column less than the terminal: a full-width line would wrap on some terminals and break the redraw.
    return Math.max(40, Math.min(this.columns - 1, 140));
  }

  banner(): void {
    this.line(
      this.bold('Campaign events: the whole pipeline on this machine') +
        this.dim(' (no AWS account; nothing leaves this machine)'),
    );
  }

  onActivity = (activity: Activity): void => {
    switch (activity.kind) {
      case 'step':
        this.print(activity.message);
        return;
      case 'note':
        this.print(this.dim(`note: ${activity.message}`));
        return;
      case 'webhooks':
        for (const registration of activity.registrations) {
          const data = registration.data;
          const changes =
            data.Changes === undefined || data.Changes === 'none' ? [] : data.Changes.split('; ');
          this.print(
            `webhooks of client ${registration.clientId}: custom resource Create (the deployed reconciler) made ${changes.length} change(s)`,
          );
          if (this.opts.verbose) for (const change of changes) this.print(`  ${change}`, false);
          this.print(`  webhook ids: ${data.WebhookIds ?? '-'}`, false);
          this.print(`  verification: ${data.Verification ?? '-'}`, false);
        }
        return;
      case 'batch':
        this.batch(activity);
        return;
      case 'request':
        this.print(
          `POST from ${activity.userAgent || 'a client'} (not the simulated Campaign): ${describeAnswer(activity.answer)}`,
        );
        for (const report of activity.answer.quarantinedEvents ?? []) {
          this.print(this.yellow(`  quarantined event ${report.index}: ${report.issues.join('; ')}`), false);
        }
        return;
      case 'first-published':
        this.firstPublishedAt = Date.now();
        this.print(
          this.green(
            `first event published (${activity.eventType} topic), ${this.elapsed(Date.now())} after the start of npm start`,
          ),
        );
        return;
      case 'parked':
        this.print(
          this.red(
            `${activity.records} stream record(s) parked after every retry (the fan-out dead-letter queue)`,
          ),
        );
        return;
      case 'alarm': {
        const { alarm, oldState } = activity.transition;
        const state = alarm.state === 'ALARM' ? this.yellow('ALARM') : this.green('OK');
        this.print(
          `${state} ${alarm.name} (was ${oldState}) ${this.dim('- a locally evaluated stand-in for the CloudWatch alarm')}`,
        );
        if (alarm.note) this.print(this.dim(`  note: ${alarm.note}`), false);
        return;
      }
      case 'email':
        this.email(activity.email);
        return;
      case 'slack':
        this.slack(activity.post);
        return;
      case 'lambda-failure':
        this.print(this.red(`${activity.functionName} failed: ${activity.error}`));
        return;
      case 'log': {
        const { record } = activity;
        const notable = record.level === 'ERROR' || record.level === 'CRITICAL';
        if (!notable && !this.opts.verbose) return;
        this.print(this.dim(`[${record.functionName}] ${record.line}`));
        return;
      }
    }
  };

  /** Starts the live status (call once the run is up). */
  attach(run: LocalRun): void {
    this.run = run;
    const every = this.opts.tty ? STATUS_EVERY_MS_TTY : STATUS_EVERY_MS_PLAIN;
    this.timer = setInterval(() => this.refresh(), every);
    this.timer.unref();
    this.refresh();
  }

  ready(run: LocalRun): void {
    const clientId = run.config.campaign.clientIds[0];
    const sample = JSON.stringify([
      {
        type: 'bounce',
        clientId,
        mailingId: 900001,
        recipientId: 'jane@example.com',
        bounceCategory: 'hardbounce',
      },
    ]);
    const lines = [
      `${this.bold(`Ready in ${this.elapsed(Date.now())}.`)} Send your own batch as Campaign does:`,
      `  curl -s -X POST '${run.urls.endpoint}' -H 'Content-Type: application/json' \\`,
      `    -H '${run.authHeaderName}: ${run.endpointKey}' \\`,
      `    -d '${sample}'`,
      `  Campaign API simulator: ${run.urls.campaignApi} (user ${run.campaignUser.username}, password ${run.campaignUser.password})`,
      `  its webhooks, with the operator CLI: CAMPAIGN_API_USER=${run.campaignUser.username} CAMPAIGN_API_PASSWORD=${run.campaignUser.password} npm run webhooks -- list --base-url ${run.urls.campaignApi}`,
      run.traffic
        ? `Campaign sends ${describeTraffic(run.traffic.options)}. Ctrl-C stops everything.`
        : 'No simulated traffic (--no-traffic). Ctrl-C stops everything.',
    ];
    for (const line of lines) this.print(line, false);
  }

  summary(run: LocalRun, stoppedAt: number): void {
    this.stopStatus();
    const c = run.counters;
    const lines = [
      this.bold(`Stopped after ${formatDuration(stoppedAt - run.startedAt)}. Summary:`),
      ...this.statusBody(run).map((line) => `  ${line}`),
      `  alerts           ${c.alarmNotifications} alarm notification(s), ${c.emails} email(s) rendered, ${c.slackPosts} Slack message(s)`,
      this.firstPublishedAt === undefined
        ? '  first published  no event was published'
        : `  first published  ${((this.firstPublishedAt - this.processStart) / 1000).toFixed(1)} s after the start of npm start`,
      `  everything stopped: DynamoDB Local (JVM), stand-ins, simulator, endpoint; webhooks removed (custom resource Delete)`,
    ];
    for (const line of lines) this.line(line);
  }

  close(): void {
    this.stopStatus();
  }

  // ---- activity ----

  private batch(activity: Extract<Activity, { kind: 'batch' }>): void {
    const { batch, answer } = activity;
    const what = `${batch.events.length} ${batch.type}`;
    const verb = batch.redelivery ? 'redelivers' : 'POSTs';
    const reply = describeAnswer(answer);
    const notable =
      batch.redelivery || batch.invalid > 0 || answer?.status !== 200 || (answer?.quarantined ?? 0) > 0;
    if (!notable && !this.opts.verbose && batch.round > 1) return;
    let text = `Campaign ${verb} ${what} (client ${batch.clientId}): ${reply}`;
    if (batch.redelivery) text += this.dim(' - same events as before: stored once, not published again');
    this.print(text);
    for (const report of answer?.quarantinedEvents ?? []) {
      this.print(this.yellow(`  quarantined event ${report.index}: ${report.issues.join('; ')}`), false);
    }
  }

  private email(email: RenderedEmail): void {
    const filter = email.filterPolicy ? ` (filter ${JSON.stringify(email.filterPolicy)})` : '';
    this.box(`email to the ${email.topic} topic's subscribers${filter}`, [
      `Subject: ${email.subject}`,
      '',
      ...email.body.trimEnd().split('\n'),
    ]);
  }

  private slack(post: SlackPost): void {
    this.box('Slack (incoming webhook, posted by the slack-notifier function)', renderSlack(post.body));
  }

  // ---- status ----

  private refresh(): void {
    if (this.run === undefined) return;
    if (this.opts.tty) {
      this.eraseStatus();
      const body = this.statusBody(this.run);
      const header = this.dim(
        `── live ${this.elapsed(Date.now())} ${'─'.repeat(Math.max(0, this.width - 20))}`,
      );
      const lines = [header, ...body];
      this.out.write(`${lines.join('\n')}\n`);
      this.statusLines = lines.length;
    } else {
      this.line(`${this.stamp()} status: ${this.compactStatus(this.run)}`);
    }
  }

  private statusBody(run: LocalRun): string[] {
    const c = run.counters;
    const t = run.traffic?.stats;
    const published = run.config.eventTypes
      .filter((type) => c.published[type] !== undefined)
      .map((type) => [type, c.published[type] as number] as const);
    const total = published.reduce((sum, [, count]) => sum + count, 0);
    const perType = published
      .map(([type, count]) =>
        type === 'bounce'
          ? `${type} ${count} (hard ${c.bounces.hard}, soft ${c.bounces.soft})`
          : `${type} ${count}`,
      )
      .join(', ');
    const inAlarm = run.alarms.alarms.filter((alarm) => alarm.state === 'ALARM').map((alarm) => alarm.name);
    const lines = [
      ...(t
        ? [
            `Campaign sent    ${t.events} events in ${t.rounds} rounds (${t.invalid} invalid); ${t.redeliveredBatches} batch(es) redelivered (${t.redeliveredEvents} events)`,
          ]
        : []),
      `ingest           ${c.requests} POSTs: ${c.eventsReceived} events received, ${c.eventsAccepted} accepted, ${c.eventsQuarantined} quarantined, ${c.requestsRejected} POSTs refused`,
      `stored           ${c.storedAccepted} accepted + ${c.storedQuarantined} quarantined items; ${c.redeliveredRecords} redelivered (MODIFY) records dropped by the stream filter`,
      `fan-out          ${c.fanOutInvocations} invocations, ${c.publishFailures} publish failures (retried), ${run.driver.stats.parked} parked`,
      `published        ${total} messages${perType ? `: ${perType}` : ''}${c.publishedTwice > 0 ? `; ${c.publishedTwice} of the ${c.publishedDistinct} events more than once (at-least-once delivery: the stream batch was retried from its first failure)` : ''}`,
      `CRM sync example ${c.crmHardBounces} hard bounces (bounce topic, filter policy bounceCategory = hard)`,
      `alarms           ${inAlarm.length === 0 ? 'none in ALARM' : `in ALARM: ${inAlarm.join(', ')}`} (${run.alarms.alarms.length} evaluated locally)`,
    ];
    return this.opts.tty ? lines.flatMap((line) => this.wrapStatusLine(line)) : lines;
  }

  /** One line, for output that is not a terminal. */
  private compactStatus(run: LocalRun): string {
    const c = run.counters;
    const t = run.traffic?.stats;
    const published = Object.values(c.published).reduce((sum, count) => sum + count, 0);
    const inAlarm = run.alarms.alarms.filter((alarm) => alarm.state === 'ALARM').map((alarm) => alarm.name);
    return [
      ...(t ? [`sent ${t.events} events`] : []),
      `ingest: ${c.eventsReceived} received, ${c.eventsAccepted} accepted, ${c.eventsQuarantined} quarantined`,
      `stored ${c.storedAccepted} + ${c.storedQuarantined} quarantined`,
      `published ${published} (${Object.keys(c.published).length} topics, hard bounces ${c.bounces.hard})`,
      `parked ${run.driver.stats.parked}`,
      inAlarm.length === 0 ? 'no alarm' : `ALARM: ${inAlarm.join(', ')}`,
    ].join(' | ');
  }

  private stopStatus(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.eraseStatus();
  }

  private eraseStatus(): void {
    if (!this.opts.tty || this.statusLines === 0) return;
    this.out.write(`\x1b[${this.statusLines}A\x1b[J`);
    this.statusLines = 0;
  }

  // ---- output ----

  private print(text: string, stamped = true): void {
    this.line(stamped ? `${this.stamp()} ${text}` : `       ${text}`);
  }

  /** Writes a line above the status block (which is redrawn afterwards). */
  private line(text: string): void {
    const hadStatus = this.statusLines > 0;
    this.eraseStatus();
    this.out.write(`${text}\n`);
    if (hadStatus) this.refresh();
  }

  private box(title: string, lines: string[]): void {
    const width = this.width - 4;
    const rows = [
      this.dim(`  ┌ ${title} ${'─'.repeat(Math.max(0, width - title.length - 3))}`),
      ...lines.flatMap((line) => wrap(line, width - 2).map((part) => `  ${this.dim('│')} ${part}`)),
      this.dim(`  └${'─'.repeat(width)}`),
    ];
    this.line(rows.join('\n'));
  }

  private stamp(): string {
    return this.dim(`+${this.elapsed(Date.now()).padStart(5)}`);
  }

  private elapsed(at: number): string {
    return `${((at - this.processStart) / 1000).toFixed(1)}s`;
  }

  /** A status line wrapped to the terminal, continuation lines indented under the value. */
  private wrapStatusLine(line: string): string[] {
    const indent = ' '.repeat(STATUS_LABEL_WIDTH);
    const [first = '', ...rest] = wrap(line.slice(STATUS_LABEL_WIDTH), this.width - STATUS_LABEL_WIDTH);
    return [line.slice(0, STATUS_LABEL_WIDTH) + first, ...rest.map((part) => indent + part)];
  }

  private paint(code: string, text: string): string {
    return this.opts.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }
  private bold = (text: string) => this.paint('1', text);
  private dim = (text: string) => this.paint('2', text);
  private red = (text: string) => this.paint('31', text);
  private green = (text: string) => this.paint('32', text);
  private yellow = (text: string) => this.paint('33', text);
}

function describeAnswer(answer: IngestAnswer | undefined): string {
  if (answer === undefined) return 'no answer';
  if (answer.status !== 200) return `HTTP ${answer.status}${answer.message ? ` ${answer.message}` : ''}`;
  const parts = [`${answer.accepted ?? 0} accepted`];
  if ((answer.quarantined ?? 0) > 0) parts.push(`${answer.quarantined} quarantined`);
  return `200 (${parts.join(', ')})`;
}

/** The traffic a run sends, as the start-up line says it; the redeliveries only as many as will happen. */
export function describeTraffic(options: TrafficOptions): string {
  const limit =
    options.events !== undefined
      ? `${options.events} events`
      : options.durationSeconds !== undefined
        ? `for ${options.durationSeconds} s`
        : 'until stopped';
  const rate = options.rate === 0 ? 'as fast as the pipeline takes them' : `${options.rate} events/s`;
  return `${limit}, ${rate}, ${options.batchSize} per round, ${Math.round(options.invalidRatio * 100)}% invalid, ${describeRedeliveries(options)}`;
}

function describeRedeliveries(options: TrafficOptions): string {
  const planned = plannedRedeliveries(options);
  if (planned.count >= options.redeliveries) return `${options.redeliveries} redelivered batch(es)`;
  const rounds = plannedRounds(options) ?? 0;
  return (
    `${planned.exact ? '' : 'at most '}${planned.count} redelivered batch(es) ` +
    `(${options.redeliveries} asked, but redeliveries come in round 3, then every 10th round, ` +
    `and ${options.events} events make ${rounds} round${rounds === 1 ? '' : 's'})`
  );
}

/** A Slack Block Kit message as plain text, roughly as Slack lays it out. */
export function renderSlack(body: SlackPost['body']): string[] {
  const lines: string[] = [];
  for (const block of (body.blocks ?? []) as Array<Record<string, unknown>>) {
    const text = (value: unknown) => String((value as { text?: unknown } | undefined)?.text ?? '');
    switch (block.type) {
      case 'header':
        lines.push(text(block.text).toUpperCase());
        break;
      case 'section':
        lines.push(...text(block.text).split('\n'));
        for (const field of (block.fields as unknown[] | undefined) ?? []) lines.push(text(field));
        break;
      case 'context':
        lines.push(((block.elements as unknown[] | undefined) ?? []).map(text).join('  '));
        break;
      case 'actions':
        for (const element of (block.elements as Array<{ text?: unknown; url?: string }> | undefined) ?? []) {
          lines.push(`[${text(element.text)}] ${element.url ?? ''}`);
        }
        break;
      case 'divider':
        lines.push('───');
        break;
    }
  }
  if (lines.length === 0 && body.text) lines.push(body.text);
  return lines.map((line) => line.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
}

function wrap(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const parts: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width);
    const at = cut > width / 2 ? cut : width;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
