/** `callsign create` and `callsign destroy`: the home (docs/cli.md, "The home"). */
import { CallsignError } from '../../src/errors.ts';
import { type CommandFamily, command, usageError } from './context.ts';

export const homeCommands: CommandFamily = (cli) => [
  command(cli, {
    command: 'create',
    describe: 'make a home (.callsign/) with a new realm in the current directory',
    builder: (y) =>
      y.option('realm', {
        type: 'string',
        requiresArg: true,
        describe: "the realm's name (default: the current folder's name)",
      }),
    handler: async (args) => {
      const { createRealm } = await import('../../src/index.ts');
      const { createHome } = await import('../create-home.ts');
      const { resolveHomeDir } = await import('../home.ts');
      if (args.realm !== undefined) {
        try {
          createRealm(args.realm);
        } catch (err) {
          throw usageError(`--realm: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const dir = resolveHomeDir(args.home, cli.io.env, cli.io.cwd);
      await createHome(dir, { realmName: args.realm });
      cli.print(`created ${dir}\n`);
    },
  }),

  command(cli, {
    command: 'destroy',
    describe: 'remove the home and everything in it',
    builder: (y) => y,
    handler: async (args) => {
      const home = await cli.openHome(args);
      const { cleanUpDeadGroup, describeOwner, readGroupOwner } = await import('../group-lock.ts');
      const { removeHome } = await import('../home.ts');
      const owner = await readGroupOwner(home);
      if (owner?.alive) {
        throw new CallsignError(
          'ERR_GROUP_RUNNING',
          `a group is running in ${home.dir} (${describeOwner(owner)}): stop it first`,
        );
      }
      if (owner) await cleanUpDeadGroup(home, owner);
      await removeHome(home);
      cli.print(`destroyed ${home.dir}\n`);
    },
  }),
];
