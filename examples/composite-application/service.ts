import {
  type ActorContext,
  Faulted,
  type Message,
  type MessageClass,
  NotPublished,
  Published,
  publish,
  Stop,
} from 'callsign';
import { Failed } from './messages.ts';

/**
 * Runs a service: publishes `name` and answers each request of type
 * `request` with what `answer` makes of it (a Failed if it throws), until
 * stopped. Its output is how many requests it served.
 */
export async function serve<M extends Message>(
  self: ActorContext,
  name: string,
  request: MessageClass<M>,
  answer: (m: M) => Message,
) {
  publish(self, name);
  const p = await self.select(Published, NotPublished);
  if (p instanceof NotPublished) return new Faulted({ code: p.code, message: p.reason });
  self.console(`${name} published`);
  let served = 0;
  for (;;) {
    const m = await self.select(request, Stop);
    if (m instanceof Stop) return { served };
    served++;
    try {
      self.reply(answer(m as M));
    } catch (err) {
      self.reply(new Failed({ stage: name, reason: (err as Error).message }));
    }
  }
}
