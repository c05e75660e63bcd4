import { describe, expect, it } from 'vitest';
import { BuildLog } from '../../src/engine/build/build-log.ts';

describe('BuildLog', () => {
  it('joins chunks into lines and masks secrets before a line is passed on or kept', () => {
    const sink: string[] = [];
    const log = new BuildLog((line) => sink.push(line));
    log.write('Step 1/2 : RUN git clone https://x-access-token:ghs_abcdefghijklmnopqrstuvwxyz0123');
    log.write('456789@github.com/acme/shop.git\r\nDB_PASSWORD=hunter2\n');
    log.line('done');
    const expected = ['Step 1/2 : RUN git clone https://x-access-token:[redacted]@github.com/acme/shop.git', 'DB_PASSWORD=[redacted]', 'done'];
    expect(sink).toEqual(expected);
    expect(log.tail()).toEqual(expected);
  });

  it('masks every line of a private key that the build prints', () => {
    const sink: string[] = [];
    const log = new BuildLog((line) => sink.push(line));
    log.write('before\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\nafter\n');
    expect(sink).toEqual(['before', '[redacted]', '[redacted]', '[redacted]', 'after']);
  });
});
