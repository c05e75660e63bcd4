import { describe, expect, it } from 'vitest';
import { serverEvents, type ServerEvent } from '../../src/client/event-stream.ts';

/** A body that arrives in the given chunks. */
function body(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function read(chunks: string[]): Promise<{ events: ServerEvent[]; activity: number }> {
  const events: ServerEvent[] = [];
  let activity = 0;
  for await (const event of serverEvents(body(chunks), () => activity++)) events.push(event);
  return { events, activity };
}

describe('Server-Sent Events over a fetch body', () => {
  it('reads ids, kinds and data; comments are heartbeats, not events', async () => {
    const { events, activity } = await read([': heartbeat\n\n', 'id: 7\nevent: status\ndata: {"a":1}\n\n', ': heartbeat\n\n']);
    expect(events).toEqual([{ id: '7', event: 'status', data: '{"a":1}' }]);
    expect(activity).toBe(3);
  });

  it('lines split anywhere across chunks, CRLF and CR line ends, multi-line data', async () => {
    const { events } = await read(['id: 1\r', '\nevent: sta', 'tus\rdata: one\r\ndata:two\n', '\n', 'data: three\n\n']);
    expect(events).toEqual([
      { id: '1', event: 'status', data: 'one\ntwo' },
      // No id field: the last one carries over; no event field: "message".
      { id: '1', event: 'message', data: 'three' },
    ]);
  });

  it('an event without data is not dispatched; an unfinished one at the end is dropped', async () => {
    const { events } = await read(['id: 3\nevent: x\n\n', 'data: cut off']);
    expect(events).toEqual([]);
  });

  it('one chunk may hold many events', async () => {
    const { events } = await read(['id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n']);
    expect(events.map((e) => [e.id, e.data])).toEqual([
      ['1', 'a'],
      ['2', 'b'],
      ['3', 'c'],
    ]);
  });
});
