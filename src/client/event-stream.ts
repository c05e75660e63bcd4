/** One Server-Sent Event: `id` is the last id the stream gave (it carries over to events without one). */
export interface ServerEvent {
  id: string | null;
  event: string;
  data: string;
}

/**
 * Server-Sent Events read from a fetch body (Node 20 has no EventSource), as the HTML
 * standard parses them: lines end with CR, LF or CRLF; `data` lines join with LF; a blank
 * line dispatches; a line starting with `:` is a comment (a heartbeat). `onActivity` hears
 * every chunk, heartbeats included, so a caller can tell a quiet stream from a dead one;
 * `onId` every id the stream gives, with an event or without one.
 */
export async function* serverEvents(body: ReadableStream<Uint8Array>, onActivity: () => void = () => {}, onId: (id: string) => void = () => {}): AsyncGenerator<ServerEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let lastId: string | null = null;
  let event = '';
  let data: string[] = [];
  let hasData = false;

  const field = (line: string): ServerEvent | null => {
    if (line === '') {
      const dispatched = hasData ? { id: lastId, event: event === '' ? 'message' : event, data: data.join('\n') } : null;
      event = '';
      data = [];
      hasData = false;
      return dispatched;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') {
      data.push(value);
      hasData = true;
    } else if (name === 'event') event = value;
    else if (name === 'id' && !value.includes('\0')) {
      // Kept even when no event follows (a stream's starting position): a reconnect resumes from it.
      lastId = value;
      onId(value);
    }
    return null;
  };

  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      onActivity();
      buffer += decoder.decode(value, { stream: true });
      // A CR at the end of a chunk may be the first half of a CRLF: keep it for the next one.
      for (let end = buffer.search(/\r\n|\r(?!$)|\n/); end !== -1; end = buffer.search(/\r\n|\r(?!$)|\n/)) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
        const dispatched = field(line);
        if (dispatched !== null) yield dispatched;
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}
