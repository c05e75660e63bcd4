import type { ServerResponse } from 'node:http';
import { send } from './http.ts';
import type { Answer, FakeCall, FakeHeldAnswer } from './types.ts';

/**
 * Answers the fake has worked out but not sent: a call asked for with `holdNext(method)` is
 * carried out like any other (a post is stored), then its answer waits for `release()` or is
 * never sent (`drop()` cuts the connection; `close()` of the fake cuts every one left).
 */
export function createHeldAnswers() {
  const wanted = new Map<string, ((call: FakeCall, res: ServerResponse, answer: Answer) => void)[]>();
  const open = new Set<ServerResponse>();

  return {
    holdNext(method: string): FakeHeldAnswer {
      let took: (value: FakeCall) => void = () => undefined;
      const accepted = new Promise<FakeCall>((resolve) => (took = resolve));
      let held: { res: ServerResponse; answer: Answer } | null = null;
      const queue = wanted.get(method) ?? [];
      queue.push((call, res, answer) => {
        held = { res, answer };
        open.add(res);
        took(call);
      });
      wanted.set(method, queue);
      const settle = (how: (h: { res: ServerResponse; answer: Answer }) => void) => {
        if (held === null) throw new Error(`no ${method} call has been held yet: await \`accepted\` first`);
        open.delete(held.res);
        how(held);
      };
      return {
        accepted,
        release: () => settle((h) => send(h.res, h.answer)),
        drop: () => settle((h) => h.res.destroy()),
      };
    },
    /** Holds this call's answer when a hold was asked for its method; false: answer it now. */
    take(method: string, call: FakeCall, res: ServerResponse, answer: Answer): boolean {
      const hold = wanted.get(method)?.shift();
      if (hold === undefined) return false;
      hold(call, res, answer);
      return true;
    },
    dropAll(): void {
      for (const res of open) res.destroy();
      open.clear();
    },
  };
}
