/** A free TCP port on loopback, for a server a test starts as a separate process. */
import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 now (the kernel's choice, released at once). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      server.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}
