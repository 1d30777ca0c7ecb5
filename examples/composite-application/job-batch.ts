/**
 * The job-batch role: subscribes to the parse, codegen and vm services (each
 * its own process), pushes every expression through the three, writes the
 * results to a file and returns them.
 *
 *   callsign add examples/composite-application/job-batch.ts job-batch
 *   callsign run --main-role=job-batch
 */
import { writeFileSync } from 'node:fs';
import {
  type ActorAddress,
  type ActorContext,
  Available,
  createNode,
  Dropped,
  type Message,
  SelectTimer,
  Stop,
  subscribe,
  TimedOut,
} from 'callsign';
import { Code, Execute, Failed, Generate, Parse, Parsed, Result } from './messages.ts';

const factorySettings = {
  expressions: ['1 + 2', '2 * (3 + 4)', '-5 / 2', '10 - 4 - 3', '(1 + 2) * (3 + 4) / 7', '2 *'],
  output: '',
  seconds: 10,
};

const SERVICES = ['parse', 'codegen', 'vm'] as const;

async function jobBatch(self: ActorContext, settings: typeof factorySettings) {
  const services = new Map<string, ActorAddress>();
  for (const name of SERVICES) subscribe(self, name);
  while (services.size < SERVICES.length) {
    const m = await self.select(Available, Dropped, Stop, { seconds: settings.seconds });
    if (m instanceof SelectTimer) return new TimedOut({ seconds: settings.seconds });
    if (m instanceof Stop) return { stopped: true };
    if (m instanceof Available) services.set(m.name, self.returnAddress as ActorAddress);
    else services.delete(m.name);
  }
  self.console('parse, codegen and vm are available');

  const ask = async <T extends Message>(
    service: string,
    request: Message,
    answer: new (...a: never[]) => T,
  ) => {
    self.send(request, services.get(service) as ActorAddress);
    const m = await self.select(answer as never, Failed, { seconds: settings.seconds });
    if (m instanceof SelectTimer) throw new Error(`${service} did not answer`);
    if (m instanceof Failed) throw new Error(`${m.stage}: ${m.reason}`);
    return m as unknown as T;
  };

  const results: { expression: string; value?: number; error?: string }[] = [];
  for (const expression of settings.expressions) {
    try {
      const parsed = await ask('parse', new Parse({ text: expression }), Parsed);
      const code = await ask('codegen', new Generate({ ast: parsed.ast }), Code);
      const result = await ask('vm', new Execute({ instructions: code.instructions }), Result);
      results.push({ expression, value: result.value });
    } catch (err) {
      results.push({ expression, error: (err as Error).message });
    }
  }
  if (settings.output) writeFileSync(settings.output, `${JSON.stringify(results, null, 2)}\n`);
  return results;
}

createNode(jobBatch, { factorySettings, name: 'job-batch' });
