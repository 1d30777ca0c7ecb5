// Returns its settings, or what its `mode` setting asks for: used to test
// command-line settings, output and exit codes by spawning the program.
import {
  Aborted,
  type ActorContext,
  createNode,
  Faulted,
  SelectTimer,
  Stop,
  TimedOut,
} from '../../../src/index.ts';

const factorySettings = {
  count: 3,
  name: 'echo',
  verbose: false,
  tags: ['a'],
  mode: 'settings',
};

async function main(self: ActorContext, settings: typeof factorySettings) {
  switch (settings.mode) {
    case 'faulted':
      return new Faulted({ code: 'ERR_TEST', message: 'asked to fault' });
    case 'aborted':
      return new Aborted({ reason: 'asked to abort' });
    case 'timed-out':
      return new TimedOut({ seconds: 1 });
    case 'throw':
      throw new Error('thrown on purpose');
    case 'wait-stop': {
      self.console('waiting for Stop');
      const m = await self.select(Stop, { seconds: 20 });
      return m instanceof SelectTimer ? 'timed out' : 'stopped';
    }
    case 'ignore-stop': {
      self.console('ignoring Stop');
      await new Promise((r) => setTimeout(r, 20_000));
      return 'never';
    }
    default:
      self.console(`settings ${JSON.stringify(settings)}`);
      return settings;
  }
}

createNode(main, { factorySettings });
