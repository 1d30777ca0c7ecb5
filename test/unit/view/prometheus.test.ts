import { describe, expect, it } from 'vitest';
import { escapeLabel, formatMetrics } from '../../../orchestrator/view/prometheus.ts';
import { buildSnapshot } from '../../../orchestrator/view/snapshot.ts';
import type { StreamDescription } from '../../../orchestrator/view/streams.ts';
import { asked, directory, listingInfo, node, report, session } from './fixtures.ts';

const HOST = 'unix:/h.sock';

describe('the metrics as Prometheus text', () => {
  it('escape label values as the format says', () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });

  it('give each family its help and type, then one line per label set', () => {
    const pub = node('P', 'pub "main" (pid 1)', {
      sessions: [
        session({
          id: 'S:1',
          name: 'x',
          listingId: 'P:1',
          side: 'publisher',
          peerNode: 'S',
          toSubscriber: [7, 70],
        }),
      ],
    });
    const snapshot = buildSnapshot(
      [
        asked(
          HOST,
          'host',
          report(1, {
            directories: [
              [
                '',
                directory('host', HOST, {
                  listings: [listingInfo('P:1', 'x', 'pub "main" (pid 1)')],
                  routes: 1,
                }),
              ],
            ],
            nodes: [[HOST, pub]],
          }),
        ),
        {
          ...asked('unix:/gone.sock', 'group', report(1, {})),
          answer: { code: 'ERR_CONNECT_FAILED', reason: 'gone' },
        },
      ],
      null,
      new Date(0),
    );
    const streams: StreamDescription[] = [
      {
        server: 'streams',
        name: 'readings',
        messages: 12,
        bytes: 3400,
        partitions: [
          { partition: 0, messages: 12, bytes: 3400, firstSequence: 1, lastSequence: 12 },
        ],
        consumers: [
          {
            name: 'report',
            positions: [{ partition: 0, ackFloor: 10, nextSequence: 12, pending: 1, waiting: 1 }],
          },
        ],
      },
    ];
    const text = formatMetrics(snapshot, streams);
    const lines = text.trimEnd().split('\n');
    expect(text.endsWith('\n')).toBe(true);
    expect(lines).toContain('# TYPE callsign_directory_up gauge');
    expect(lines).toContain(`callsign_directory_up{level="host",endpoint="${HOST}"} 1`);
    expect(lines).toContain('callsign_directory_up{level="group",endpoint="unix:/gone.sock"} 0');
    expect(lines).toContain(`callsign_directory_routes{level="host",endpoint="${HOST}"} 1`);
    expect(lines).toContain('# TYPE callsign_session_messages_total counter');
    expect(lines).toContain(
      'callsign_session_messages_total{session="S:1",listing="x",subscriber="",publisher="pub \\"main\\" (pid 1)",direction="to_subscriber"} 7',
    );
    expect(lines).toContain(
      'callsign_session_bytes_total{session="S:1",listing="x",subscriber="",publisher="pub \\"main\\" (pid 1)",direction="to_subscriber"} 70',
    );
    expect(lines).toContain(
      'callsign_node_undelivered_total{node="P",where="pub \\"main\\" (pid 1)",counter="dropped"} 2',
    );
    expect(lines).toContain('callsign_stream_messages{stream="readings",server="streams"} 12');
    expect(lines).toContain(
      'callsign_consumer_ack_floor{stream="readings",server="streams",consumer="report",partition="0"} 10',
    );
    // Every sample line belongs to the family declared above it, and every family is declared once.
    let family = '';
    const declared = new Set<string>();
    for (const l of lines) {
      const m = /^# TYPE (\S+) (gauge|counter)$/.exec(l);
      if (m) {
        expect(declared.has(m[1] as string)).toBe(false);
        family = m[1] as string;
        declared.add(family);
      } else if (!l.startsWith('# HELP ')) {
        expect(l.startsWith(`${family}{`) || l.startsWith(`${family} `), l).toBe(true);
        expect(l).toMatch(/ \d+(\.\d+)?$/);
      }
    }
  });
});
