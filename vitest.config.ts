import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Inside the test processes, `callsign` is the sources, as the tests' own
 * imports are: an example's messages imported by a test must register in the
 * same registry as the transport the test drives. Programs the tests spawn
 * resolve `callsign` as users do, to the compiled package.
 */
const sources = {
  resolve: {
    alias: [
      {
        find: /^callsign\/internal$/,
        replacement: fileURLToPath(new URL('./src/internal.ts', import.meta.url)),
      },
      {
        find: /^callsign$/,
        replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
      },
    ],
  },
};

export default defineConfig({
  test: {
    // vitest's default is one worker fewer than the cores: one, on the 2-core
    // machines CI runs on. The unit files are pure CPU and run two at a time;
    // the projects below them run one file at a time, each in a group of its
    // own (a group has one worker count), after the unit files.
    maxWorkers: 2,
    projects: [
      {
        ...sources,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 0 },
        },
      },
      {
        ...sources,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // They run the compiled package, as users do: build it first.
          globalSetup: ['test/helpers/build.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // Real processes and sockets, about one core's worth on average: two
          // files at a time would leave their deadlines to a saturated machine.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          // Only loopback here: no mDNS on the machine's real network.
          env: { CALLSIGN_NO_LAN: '1' },
        },
      },
      {
        ...sources,
        test: {
          name: 'lan',
          include: ['test/lan/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/helpers/build.ts'],
          // Network namespaces, as root (docs/testing.md): one lab at a time,
          // in a child process, so the harness can tear down on a signal.
          pool: 'forks',
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
