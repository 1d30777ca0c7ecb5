/**
 * `callsign add`, `list`, `update`, `settings` and `delete`: the roles of a
 * home (docs/cli.md, "Roles").
 */
import { formatTable } from '../table.ts';
import { type CommandFamily, command, jsonOption } from './context.ts';

/** `k=v k2=v2`, as the tables print settings. */
function settingsText(settings: Record<string, unknown>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
}

export const roleCommands: CommandFamily = (cli) => [
  command(cli, {
    command: 'add <program> <role>',
    describe: 'add a role that runs a callsign program',
    builder: (y) =>
      y
        .positional('program', { type: 'string', demandOption: true, describe: 'the program file' })
        .positional('role', { type: 'string', demandOption: true, describe: 'the role name' })
        .option('count', {
          type: 'number',
          requiresArg: true,
          describe: 'add <role>-0 ... <role>-(N-1) instead',
        }),
    handler: async (args) => {
      const home = await cli.openHome(args);
      const { addRoles } = await import('../roles.ts');
      const count = args.count === undefined ? undefined : (args.count ?? Number.NaN);
      const names = await addRoles(home, args.program, args.role, { count, cwd: cli.io.cwd });
      cli.print(`added ${names.join(', ')} (${args.program})\n`);
    },
  }),

  command(cli, {
    command: 'list',
    describe: 'list the roles and their programs',
    builder: (y) => y.option('json', jsonOption),
    handler: async (args) => {
      const { listRoles } = await import('../roles.ts');
      const roles = await listRoles(await cli.openHome(args));
      if (args.json) {
        const list = roles.map((r) => ({ role: r.name, program: r.program, settings: r.settings }));
        cli.print(`${JSON.stringify(list, null, 2)}\n`);
      } else if (roles.length === 0) {
        cli.print('no roles: add one with `callsign add <program> <role>`\n');
      } else {
        const rows = roles.map((r) => [r.name, r.program, settingsText(r.settings)]);
        cli.print(formatTable([['ROLE', 'PROGRAM', 'SETTINGS'], ...rows]));
      }
    },
  }),

  command(cli, {
    command: 'update <role> [settings..]',
    describe: "change a role's settings: --<setting>=<value> ...",
    builder: (y) =>
      y
        .positional('role', { type: 'string', demandOption: true })
        .positional('settings', { type: 'string', array: true, describe: '--<setting>=<value>' })
        // The settings are the program's own options, checked by the program.
        .parserConfiguration({ 'unknown-options-as-args': true }),
    handler: async (args) => {
      const home = await cli.openHome(args);
      const { updateRole } = await import('../roles.ts');
      const given = (args.settings ?? []).map(String);
      const { role } = await updateRole(home, args.role, given);
      cli.print(`updated ${role.name}: ${settingsText(role.settings)}\n`);
    },
  }),

  command(cli, {
    command: 'settings <role>',
    describe: "print a role's effective settings",
    builder: (y) =>
      y.positional('role', { type: 'string', demandOption: true }).option('json', jsonOption),
    handler: async (args) => {
      const home = await cli.openHome(args);
      const { effectiveSettings, readRole } = await import('../roles.ts');
      const role = await readRole(home, args.role);
      const settings = await effectiveSettings(home, role);
      if (args.json) {
        cli.print(`${JSON.stringify(settings, null, 2)}\n`);
      } else {
        const rows = Object.entries(settings).map(([k, v]) => [
          k,
          JSON.stringify(v),
          Object.hasOwn(role.settings, k) ? 'role' : 'program',
        ]);
        cli.print(formatTable([['SETTING', 'VALUE', 'FROM'], ...rows]));
      }
    },
  }),

  command(cli, {
    command: 'delete <role>',
    describe: 'remove a role (and its node keys; its log stays)',
    builder: (y) => y.positional('role', { type: 'string', demandOption: true }),
    handler: async (args) => {
      const { deleteRole } = await import('../roles.ts');
      await deleteRole(await cli.openHome(args), args.role);
      cli.print(`deleted ${args.role}\n`);
    },
  }),
];
