import { describe, expect, it } from 'vitest';
import { parseExposition, valueOf } from './prometheus-text.ts';

const histogram = (buckets: [string, number][], count: number) =>
  `# HELP d_seconds How long.\n# TYPE d_seconds histogram\n${buckets.map(([le, v]) => `d_seconds_bucket{app="shop",le="${le}"} ${v}`).join('\n')}\nd_seconds_sum{app="shop"} 3.5\nd_seconds_count{app="shop"} ${count}\n`;

describe('the strict exposition reader the metrics tests use', () => {
  it('reads families, label escapes and special values', () => {
    const families = parseExposition('# HELP up Whether it is up.\n# TYPE up gauge\nup{job="a \\"b\\"\\\\c",x="1"} 1\nup{job="b"} +Inf\n\n# TYPE n counter\nn 2e3\n');
    expect(valueOf(families, 'up', { job: 'a "b"\\c', x: '1' })).toBe(1);
    expect(valueOf(families, 'up', { job: 'b' })).toBe(Infinity);
    expect(families.get('n')).toMatchObject({ type: 'counter', help: null, samples: [{ value: 2000 }] });
    expect(valueOf(parseExposition(histogram([['1', 1], ['+Inf', 2]], 2)), 'd_seconds_count', { app: 'shop' })).toBe(2);
  });

  it.each([
    ['a masked metric name', '# TYPE up gauge\n[redacted]{consumer="chat"} 1\n', /no metric name/],
    ['a sample of no declared family', '# TYPE up gauge\ndown 1\n', /no declared family/],
    ['a series given twice', '# TYPE up gauge\nup{a="1"} 1\nup{a="1"} 2\n', /twice/],
    ['a TYPE after samples', '# TYPE up gauge\nup 1\n# TYPE up gauge\n', /after the samples/],
    ['an unquoted label value', '# TYPE up gauge\nup{a=1} 1\n', /name="value"/],
    ['a value that is not a number', '# TYPE up gauge\nup one\n', /value one/],
    ['no final newline', '# TYPE up gauge\nup 1', /newline/],
    ['buckets that are not cumulative', histogram([['1', 2], ['2', 1], ['+Inf', 2]], 2), /not cumulative/],
    ['+Inf that is not the count', histogram([['1', 1], ['+Inf', 2]], 3), /not the count/],
    ['no +Inf bucket', histogram([['1', 1]], 1), /not the count/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseExposition(text)).toThrow(message);
  });
});
