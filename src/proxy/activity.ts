/**
 * When the client sessions of this proxy last sent something: enough to tell one session whether
 * others are active, so that its own work that can wait (a training's read) gives them the machine.
 * Two entries, no list: the latest sender, and the latest sender other than that one.
 */
export class SessionActivity {
  private latest: object | undefined;
  private latestAt = 0;
  private other: object | undefined;
  private otherAt = 0;

  constructor(
    private readonly now: () => number = () => performance.now(),
    /** Told of every chunk too (the composition root: background work waits for quiet clients). */
    private readonly onHeard: () => void = () => {},
  ) {}

  /** `session` sent a message (called for every chunk a client sends: no allocation). */
  heard(session: object): void {
    this.onHeard();
    if (this.latest !== session) {
      this.other = this.latest;
      this.otherAt = this.latestAt;
      this.latest = session;
    }
    this.latestAt = this.now();
  }

  /** Whether a session other than `session` sent something in the last `ms` milliseconds. */
  othersActiveWithin(session: object, ms: number): boolean {
    const [someone, at] = this.latest === session ? [this.other, this.otherAt] : [this.latest, this.latestAt];
    return someone !== undefined && this.now() - at < ms;
  }
}
