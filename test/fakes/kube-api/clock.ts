/**
 * The fake's clock: real time sped up by `timeScale`, so a ten-minute progress
 * deadline or a five-minute back-off passes in seconds of a test.
 */
export class FakeClock {
  private readonly realStart = Date.now();
  private readonly fakeStart = this.realStart;

  constructor(readonly timeScale: number) {}

  /** Fake milliseconds since the epoch. */
  now(): number {
    return this.fakeStart + (Date.now() - this.realStart) * this.timeScale;
  }

  /** Fake seconds elapsed since `sinceMs` (a fake time). */
  secondsSince(sinceMs: number): number {
    return (this.now() - sinceMs) / 1000;
  }
}
