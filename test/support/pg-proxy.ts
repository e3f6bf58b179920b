/**
 * A TCP proxy in front of PostgreSQL that can lose the server's answer to one COMMIT: the server
 * commits, the client never hears it (its connection drops), as when a network or a failover cuts
 * the connection at that instant. The one fault a client cannot tell from a rollback.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface PgProxy {
  /** `target` with the proxy's port. */
  url: string;
  /**
   * Arms the fault: on the first connection that sends a statement containing `marker`, the next
   * COMMIT goes to the server and the connection is cut as its answer comes back.
   */
  loseCommitAfter(marker: string): void;
  /** COMMIT answers lost so far. */
  lost: number;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;

export async function startPgProxy(target: string): Promise<PgProxy> {
  const to = new URL(target);
  let marker: string | null = null;
  const sockets = new Set<Socket>();
  const state: PgProxy = {
    url: '',
    lost: 0,
    loseCommitAfter: (m) => (marker = m),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server: Server = createServer((client) => {
    const upstream = connect(Number(to.port || 5432), to.hostname);
    sockets.add(client).add(upstream);
    let started = false;
    let buf = Buffer.alloc(0);
    let sawMarker = false;
    let cutOnReply = false;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // Reads whole messages only to look at their text; every byte is forwarded unchanged.
      for (;;) {
        if (!started) {
          if (buf.length < 8) break;
          const len = buf.readInt32BE(0);
          if (buf.length < len) break;
          if (buf.readInt32BE(4) !== SSL_REQUEST) started = true;
          buf = buf.subarray(len);
          continue;
        }
        if (buf.length < 5) break;
        const len = buf.readInt32BE(1);
        if (buf.length < 1 + len) break;
        const type = String.fromCharCode(buf[0]!);
        const body = buf.subarray(5, 1 + len).toString('utf8');
        buf = buf.subarray(1 + len);
        if (type !== 'Q' && type !== 'P') continue;
        if (marker && body.includes(marker)) {
          sawMarker = true;
          marker = null;
        }
        if (sawMarker && type === 'Q' && /^COMMIT\b/i.test(body)) {
          sawMarker = false;
          cutOnReply = true;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutOnReply) {
        state.lost++;
        cut(); // the server has committed and answered; the client hears nothing
        return;
      }
      client.write(chunk);
    });
    client.on('error', cut).on('close', () => {
      upstream.destroy();
      sockets.delete(client);
    });
    upstream.on('error', cut).on('close', () => {
      client.destroy();
      sockets.delete(upstream);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  state.url = url.toString();
  return state;
}
