/**
 * A byte pipe to one upstream session. The session writes frontend messages and receives backend
 * bytes; how they travel (a socket, or PGlite's in-process protocol entry point) is the link's business.
 */
export interface UpstreamLink {
  /**
   * Sends frontend messages, in order, as one batch. Returns false when the link now holds more
   * than the upstream has accepted; `onDrain` is called once it has taken that backlog.
   */
  write(messages: readonly Buffer[]): boolean;
  /** Ends the session politely (Terminate) and releases the link. */
  end(): void;
  /** Drops the link at once. */
  destroy(): void;
  /** Flow control: stop and restart delivering upstream bytes while the client cannot keep up. */
  pause(): void;
  resume(): void;
  /**
   * Upstream bytes. `lent`: the chunk is a view of the link's one read buffer, overwritten by the
   * next read, so nothing may keep a reference to it (or to a view of it) after the call returns.
   */
  onData: (chunk: Buffer, lent?: boolean) => void;
  onClose: (error?: Error) => void;
  onDrain: () => void;
  /** Asks the upstream to cancel the statement running for this backend key. */
  cancel(processId: number, secretKey: number): Promise<void>;
}

export interface UpstreamConnector {
  readonly kind: 'postgres' | 'embedded';
  /**
   * Opens a session. `startupPacket` is the client's StartupMessage as it arrived; a real upstream
   * receives it untouched and runs authentication with the client through the relay.
   */
  connect(startupPacket: Buffer, parameters: Record<string, string>): Promise<UpstreamLink>;
  /** Routes a client's CancelRequest to the backend it names. */
  cancel(processId: number, secretKey: number): Promise<void>;
  close(): Promise<void>;
}
