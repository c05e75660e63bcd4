import { lineRedactor } from '../../domain/redact.ts';
import type { LogSink } from '../ports.ts';

/**
 * Turns chunks of build output into whole lines for the deployment log, keeping the
 * last `tailSize` lines for a failure report. Secrets are masked here, before a line is
 * stored: a Dockerfile's `RUN git clone https://user:token@…` echoes the token.
 */
export class BuildLog {
  private partial = '';
  private readonly lines: string[] = [];
  private readonly redact = lineRedactor();

  constructor(
    private readonly sink: LogSink,
    private readonly tailSize = 30,
  ) {}

  /** Output that may end mid-line; the rest of the line comes with the next chunk. */
  write(chunk: string): void {
    const text = this.partial + chunk.replace(/\r\n?/g, '\n');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const part of parts) this.emit(part);
  }

  /** One complete line (an engine note, a status event). */
  line(text: string): void {
    this.flush();
    this.emit(text);
  }

  flush(): void {
    if (this.partial !== '') this.emit(this.partial);
    this.partial = '';
  }

  tail(): string[] {
    this.flush();
    return [...this.lines];
  }

  private emit(line: string): void {
    const text = this.redact(line.trimEnd());
    this.lines.push(text);
    if (this.lines.length > this.tailSize) this.lines.shift();
    this.sink(text);
  }
}
