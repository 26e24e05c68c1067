import net from 'node:net';
import { frontend } from '../wire/index.js';
import type { UpstreamConnector, UpstreamLink } from './link.js';

export interface UpstreamAddress {
  /** A TCP host, or a directory holding a Unix socket (`/var/run/postgresql`). */
  host: string;
  port: number;
}

/** Connects to a real Postgres, over TCP or its Unix socket, one connection per client session. */
export class TcpUpstreamConnector implements UpstreamConnector {
  readonly kind = 'postgres';
  constructor(private readonly address: UpstreamAddress) {}

  connect(startupPacket: Buffer): Promise<UpstreamLink> {
    return new Promise((resolve, reject) => {
      // Every read lands in the link's own buffer (no 64 KB allocation per read), and its callback
      // replaces the stream's 'data' machinery; the link exists before the first read (at 'connect').
      let link: SocketLink | undefined;
      const socket = this.open({ buffer: Buffer.allocUnsafeSlow(READ_BYTES), callback: (bytes, buffer) => link!.read(bytes, buffer) });
      const onError = (error: Error): void => reject(error);
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 60_000);
        link = new SocketLink(socket, this);
        socket.write(startupPacket);
        resolve(link);
      });
    });
  }

  open(onread?: net.OnReadOpts): net.Socket {
    const { host, port } = this.address;
    return host.startsWith('/') ? net.connect({ path: `${host}/.s.PGSQL.${port}`, onread }) : net.connect({ host, port, onread });
  }

  /** Sends a CancelRequest on a fresh connection, as libpq's PQcancel does. */
  cancel(processId: number, secretKey: number): Promise<void> {
    return new Promise((resolve) => {
      const socket = this.open();
      socket.once('connect', () => socket.end(frontend.cancelRequest(processId, secretKey)));
      socket.once('close', () => resolve());
      socket.once('error', () => resolve());
    });
  }

  async close(): Promise<void> {}
}

/** One socket read at most: what libuv suggests for a stream read, and what Node allocates per read without `onread`. */
const READ_BYTES = 64 * 1024;

/** Bytes a link may hold for the upstream's socket before the session stops reading its client. */
const WRITE_HIGH_WATER = 1 << 20;

class SocketLink implements UpstreamLink {
  onData: (chunk: Buffer, lent?: boolean) => void = () => {};
  onClose: (error?: Error) => void = () => {};
  onDrain: () => void = () => {};
  private closedError: Error | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly connector: TcpUpstreamConnector,
  ) {
    socket.on('error', (error) => {
      this.closedError = error;
    });
    socket.on('close', () => this.onClose(this.closedError));
    socket.on('drain', () => this.onDrain());
  }

  /** A read of `bytes` into the socket's reused buffer: lent to onData for the call's length. */
  read(bytes: number, buffer: Uint8Array): true {
    this.onData((buffer as Buffer).subarray(0, bytes), true);
    // Pausing is the session's call (pause()), never implied by a read.
    return true;
  }

  write(messages: readonly Buffer[]): boolean {
    if (this.socket.destroyed) return true;
    if (messages.length === 1) {
      this.socket.write(messages[0]!);
    } else {
      this.socket.cork();
      for (const m of messages) this.socket.write(m);
      this.socket.uncork();
    }
    // Above the high-water mark the socket has also passed its own, so 'drain' follows.
    return this.socket.writableLength <= WRITE_HIGH_WATER;
  }

  end(): void {
    if (!this.socket.destroyed) this.socket.end(frontend.terminate());
  }

  destroy(): void {
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  cancel(processId: number, secretKey: number): Promise<void> {
    return this.connector.cancel(processId, secretKey);
  }
}
