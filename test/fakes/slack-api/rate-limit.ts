/** Slack's special chat.postMessage limit: about one message per second per channel, with a short burst. */
export class Bucket {
  private tokens: number;
  private last = Date.now();
  constructor(
    private readonly rate: number,
    private readonly capacity: number,
  ) {
    this.tokens = capacity;
  }

  /** Takes a token, or says how many seconds until one is there. */
  take(): { ok: true } | { ok: false; retryAfter: number } {
    const now = Date.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfter: Math.max(1, Math.ceil((1 - this.tokens) / this.rate)) };
  }
}

/** One bucket per channel, so a busy channel never slows another. */
export function createChannelLimits(rate: number, burst: number) {
  const buckets = new Map<string, Bucket>();
  return (channel: string): { ok: true } | { ok: false; retryAfter: number } => {
    if (rate <= 0) return { ok: true };
    let bucket = buckets.get(channel);
    if (bucket === undefined) {
      bucket = new Bucket(rate, burst);
      buckets.set(channel, bucket);
    }
    return bucket.take();
  };
}
