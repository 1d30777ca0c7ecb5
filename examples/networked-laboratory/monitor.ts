/**
 * The laboratory's monitor: subscribes with one regular expression to every
 * device (`strain-…` and `temperature-…`), takes the readings the strain
 * devices push, polls the temperature devices with Enquiry every `--poll`
 * seconds, and shows a table of the devices: redrawn in place every second
 * when stdout is a terminal, else one line every `--report` seconds on stderr
 * (at CONSOLE level: give `--debug-level=CONSOLE` to see it).
 *
 * When stopped (Stop, Ctrl-C) or after `--seconds` (0: until stopped), its
 * output is a summary:
 * `{ devices: { <name>: { kind, readings, last, state } }, available, dropped }`.
 *
 *   callsign add examples/networked-laboratory/monitor.ts monitor
 *   callsign run --main-role=monitor
 */
import {
  type ActorAddress,
  type ActorContext,
  Available,
  createNode,
  Dropped,
  defineMessage,
  Enquiry,
  Faulted,
  NotAvailable,
  NotSubscribed,
  Stop,
  Subscribed,
  subscribe,
  Undelivered,
} from 'callsign';
import { scopeOf } from './device.ts';
import { StrainReading, TemperatureReading } from './messages.ts';

const factorySettings = {
  scope: 'host',
  seconds: 0,
  report: 5,
  poll: 2,
  /** `auto` (a live table when stdout is a terminal, else log lines), `live` or `log`. */
  display: 'auto',
};

/** Every device: strain-<n> and temperature-<n>. */
const DEVICES = /(strain|temperature)-.*/;

const KINDS = {
  strain: { unit: 'µε', digits: 1, polled: false },
  temperature: { unit: '°C', digits: 2, polled: true },
} as const;
type Kind = keyof typeof KINDS;

/** What the monitor knows of one device. */
interface Device {
  name: string;
  kind: Kind;
  state: 'available' | 'dropped';
  /** The publisher, while available. */
  address: ActorAddress | undefined;
  readings: number;
  last: number | undefined;
  /** When the last reading was taken (its `at`), in ms. */
  at: number | undefined;
}

/** Time to send every polled device an Enquiry. */
class Poll extends defineMessage('laboratory.monitor.Poll', {}) {}

/** Time to redraw the table, or to log a line of it. */
class Show extends defineMessage('laboratory.monitor.Show', {}) {}

/** `--seconds` have passed. */
class Deadline extends defineMessage('laboratory.monitor.Deadline', {}) {}

function kindOf(name: string): Kind {
  return name.startsWith('strain-') ? 'strain' : 'temperature';
}

function byName(a: Device, b: Device): number {
  return a.name.localeCompare(b.name, 'en', { numeric: true });
}

function shownValue(d: Device): string {
  const { unit, digits } = KINDS[d.kind];
  return d.last === undefined ? '-' : `${d.last.toFixed(digits)} ${unit}`;
}

function ageOf(d: Device, now: number): string {
  return d.at === undefined ? '-' : `${Math.max(0, (now - d.at) / 1000).toFixed(1)} s`;
}

function counts(devices: Iterable<Device>) {
  let available = 0;
  let dropped = 0;
  for (const d of devices) {
    if (d.state === 'available') available++;
    else dropped++;
  }
  return { available, dropped };
}

/** The table, as lines of text. */
function table(devices: Device[], now: number, footer: string): string[] {
  const rows = [
    ['DEVICE', 'KIND', 'VALUE', 'AGE', 'STATE', 'READINGS'],
    ...devices.map((d) => [
      d.name,
      d.kind,
      shownValue(d),
      ageOf(d, now),
      d.state,
      String(d.readings),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const right = new Set([2, 3, 5]);
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  const { available, dropped } = counts(devices);
  lines.push(`${devices.length} devices: ${available} available, ${dropped} dropped${footer}`);
  return lines;
}

/** The table as one log line. */
function line(devices: Device[], now: number): string {
  const { available, dropped } = counts(devices);
  const each = devices.map(
    (d) =>
      `${d.name} ${shownValue(d)} ${ageOf(d, now)}${d.state === 'dropped' ? ' (dropped)' : ''}`,
  );
  return [`${devices.length} devices (${available} available, ${dropped} dropped)`, ...each].join(
    ' | ',
  );
}

/** Draws the table on a terminal, over the one drawn before. */
function liveTable(out: NodeJS.WriteStream) {
  let drawn = 0;
  return (lines: string[]) => {
    const up = drawn > 0 ? `\x1b[${drawn}F` : '';
    out.write(`${up}\x1b[J${lines.join('\n')}\n`);
    drawn = lines.length;
  };
}

async function monitor(self: ActorContext, settings: typeof factorySettings) {
  const scope = scopeOf(settings.scope);
  if (scope instanceof Faulted) return scope;
  for (const [setting, value] of [
    ['report', settings.report],
    ['poll', settings.poll],
  ] as const) {
    if (!(value > 0))
      return new Faulted({ code: 'ERR_INVALID_SETTINGS', message: `--${setting} must be above 0` });
  }
  if (!['auto', 'live', 'log'].includes(settings.display))
    return new Faulted({
      code: 'ERR_INVALID_SETTINGS',
      message: `--display must be auto, live or log, not ${JSON.stringify(settings.display)}`,
    });
  const live =
    settings.display === 'live' || (settings.display === 'auto' && process.stdout.isTTY === true);

  subscribe(self, DEVICES, { scope });
  const s = await self.select(Subscribed, NotSubscribed);
  if (s instanceof NotSubscribed) return new Faulted({ code: s.code, message: s.reason });
  self.console(`watching /${s.search}/ at ${s.scope} scope`);

  const devices = new Map<string, Device>();
  const device = (name: string): Device => {
    let d = devices.get(name);
    if (!d) {
      d = {
        name,
        kind: kindOf(name),
        state: 'available',
        address: undefined,
        readings: 0,
        last: undefined,
        at: undefined,
      };
      devices.set(name, d);
    }
    return d;
  };
  const sorted = () => [...devices.values()].sort(byName);
  const draw = live ? liveTable(process.stdout) : undefined;
  const footer = settings.seconds > 0 ? '' : ' (Ctrl-C to stop)';
  const show = () => {
    if (draw) draw(table(sorted(), Date.now(), footer));
    else self.console(line(sorted(), Date.now()));
  };
  const enquire = (d: Device) => {
    if (KINDS[d.kind].polled && d.state === 'available' && d.address)
      self.send(new Enquiry(), d.address);
  };
  const reading = (name: string, value: number, at: Date) => {
    const d = device(name);
    d.readings++;
    d.last = value;
    d.at = at.getTime();
  };

  self.start(Poll, settings.poll, { repeating: true });
  self.start(Show, live ? 1 : settings.report, { repeating: true });
  if (settings.seconds > 0) self.start(Deadline, settings.seconds);
  if (draw) show();

  for (;;) {
    const m = await self.select(
      StrainReading,
      TemperatureReading,
      Available,
      NotAvailable,
      Dropped,
      Undelivered,
      Poll,
      Show,
      Deadline,
      Stop,
    );
    if (m instanceof StrainReading) {
      reading(m.device, m.microstrain, m.at);
    } else if (m instanceof TemperatureReading) {
      reading(m.device, m.celsius, m.at);
    } else if (m instanceof Available) {
      const d = device(m.name);
      d.state = 'available';
      d.address = self.returnAddress;
      if (!draw) self.console(`${m.name} available (${m.scope})`);
      enquire(d); // a first reading now, not at the next poll
    } else if (m instanceof NotAvailable) {
      self.warning(`${m.name} not available: ${m.reason} (${m.code})`);
    } else if (m instanceof Dropped) {
      const d = device(m.name);
      d.state = 'dropped';
      d.address = undefined;
      if (!draw) self.console(`${m.name} dropped: ${m.reason} (${m.code})`);
    } else if (m instanceof Undelivered) {
      self.debug(`a ${m.typeName} was not delivered (${m.reason})`);
    } else if (m instanceof Poll) {
      for (const d of devices.values()) enquire(d);
    } else if (m instanceof Show) {
      show();
    } else {
      draw?.(table(sorted(), Date.now(), ''));
      const summary: Record<
        string,
        { kind: Kind; readings: number; last: number | null; state: string }
      > = {};
      for (const d of sorted())
        summary[d.name] = {
          kind: d.kind,
          readings: d.readings,
          last: d.last ?? null,
          state: d.state,
        };
      return { devices: summary, ...counts(devices.values()) };
    }
  }
}

createNode(monitor, { factorySettings, name: 'monitor' });
