import type { Writable } from 'node:stream';

export const PROMPT = 'hoist> ';

/**
 * The terminal's output. Interactive, it keeps a prompt after whatever it
 * prints while no command is running, so asynchronous lines (cards, thread
 * replies) do not leave the user without one.
 */
export class Screen {
  private prompting = false;
  private busy = false;
  private closed = false;

  constructor(
    private readonly output: Writable,
    private readonly interactive: boolean,
  ) {}

  print(text: string): void {
    if (this.closed) return;
    if (this.prompting) this.output.write('\n');
    this.prompting = false;
    this.output.write(text.endsWith('\n') ? text : `${text}\n`);
    if (!this.busy) this.prompt();
  }

  /** While a command runs, its answer comes before the next prompt. */
  setBusy(busy: boolean): void {
    this.busy = busy;
    if (!busy) this.prompt();
  }

  prompt(): void {
    if (!this.interactive || this.prompting || this.closed) return;
    this.output.write(PROMPT);
    this.prompting = true;
  }

  /** After input ends: no more prompts. */
  endInput(): void {
    if (this.prompting) this.output.write('\n');
    this.prompting = false;
    this.busy = true;
  }

  close(): void {
    this.endInput();
    this.closed = true;
  }
}
