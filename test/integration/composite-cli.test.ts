import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProject } from '../helpers/cli.ts';
import { ROOT } from '../helpers/processes.ts';

describe('the composite application, run as a user would', () => {
  it('pushes every expression through parse, codegen and vm, each its own process', async () => {
    const project = cliProject();
    expect((await project.run(['create'])).code).toBe(0);
    for (const role of ['parse', 'codegen', 'vm', 'job-batch']) {
      const added = await project.run([
        'add',
        join(ROOT, 'examples/composite-application', `${role}.ts`),
        role,
      ]);
      expect(added.code, added.stderr).toBe(0);
    }
    const run = await project.run(['run', '--main-role=job-batch']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      { expression: '1 + 2', value: 3 },
      { expression: '2 * (3 + 4)', value: 14 },
      { expression: '-5 / 2', value: -2.5 },
      { expression: '10 - 4 - 3', value: 3 },
      { expression: '(1 + 2) * (3 + 4) / 7', value: 3 },
      { expression: '2 *', error: 'parse: unexpected end in 2 *' },
    ]);
  });
});
