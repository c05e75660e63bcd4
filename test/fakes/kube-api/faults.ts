/**
 * Injected failures: latency on every request, and the next N matching
 * requests answered with an error Status.
 */
export type FaultCode = 409 | 429 | 500 | 503;

interface FailRule {
  remaining: number;
  status: FaultCode;
  method?: string;
  path?: RegExp;
}

export class Faults {
  latencyMs = 0;
  private readonly rules: FailRule[] = [];

  failNext(count: number, status: FaultCode, match: { method?: string; path?: RegExp } = {}): void {
    this.rules.push({ remaining: count, status, ...match });
  }

  /** The status to fail this request with, if a rule matches (which then counts it). */
  take(method: string, path: string): FaultCode | undefined {
    const rule = this.rules.find((r) => r.remaining > 0
      && (!r.method || r.method.toUpperCase() === method.toUpperCase())
      && (!r.path || r.path.test(path)));
    if (!rule) return undefined;
    rule.remaining--;
    return rule.status;
  }
}
