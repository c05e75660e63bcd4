import { describe, expect, it } from 'vitest';
import {
  LIMITS,
  TRUNCATED,
  capBlocks,
  context,
  header,
  limitViolations,
  message,
  packGroups,
  packSections,
  section,
  truncateMrkdwn,
} from '../../src/bot/render/limits.ts';

const fences = (text: string) => text.split('```').length - 1;

describe('truncateMrkdwn', () => {
  it('leaves short text alone', () => {
    expect(truncateMrkdwn('hello', 10)).toBe('hello');
  });

  it('cuts long text and says so', () => {
    const out = truncateMrkdwn('a'.repeat(100), 50);
    expect(out.length).toBeLessThanOrEqual(50);
    expect(out.endsWith(TRUNCATED)).toBe(true);
  });

  it('never cuts a link in half', () => {
    const link = '<https://github.com/acme/shop/commit/abcdef1234567890abcdef1234567890abcdef12|abcdef1>';
    const text = `${'x'.repeat(30)} ${link} ${'y'.repeat(100)}`;
    for (let max = 40; max < 140; max++) {
      const out = truncateMrkdwn(text, max);
      expect(out.length).toBeLessThanOrEqual(max);
      const opens = out.split('<').length - 1;
      const closes = out.split('>').length - 1;
      expect(opens, `max ${max}: ${out}`).toBe(closes);
    }
  });

  it('never cuts an entity in half', () => {
    const text = '&amp;'.repeat(100);
    for (let max = 20; max < 40; max++) {
      const out = truncateMrkdwn(text, max);
      expect(out.replace(TRUNCATED, '').replace(/&amp;/g, '')).toBe('');
    }
  });

  it('closes a code fence it cut open', () => {
    const text = `Log:\n\`\`\`\n${'line\n'.repeat(1000)}\`\`\``;
    const out = truncateMrkdwn(text, 300);
    expect(out.length).toBeLessThanOrEqual(300);
    expect(fences(out) % 2).toBe(0);
    expect(out.endsWith(`\`\`\`\n${TRUNCATED}`)).toBe(true);
  });

  it('does not split a fence marker', () => {
    const text = `${'a'.repeat(20)}\`\`\`${'b'.repeat(100)}\`\`\``;
    for (let max = 30; max < 60; max++) {
      const out = truncateMrkdwn(text, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toMatch(/(^|[^`])``([^`]|$)/);
      expect(fences(out) % 2).toBe(0);
    }
  });

  it('does not split a surrogate pair', () => {
    const out = truncateMrkdwn('🚀'.repeat(100), 41);
    expect(out.replace(TRUNCATED, '')).toMatch(/^(🚀)*$/u);
  });
});

describe('block builders', () => {
  it('limits headers to 150 characters', () => {
    const block = header('h'.repeat(400));
    expect(block.type === 'header' && block.text.text.length).toBe(LIMITS.headerText);
  });

  it('limits sections to 3000 characters', () => {
    const block = section('s'.repeat(10_000));
    expect(block.type === 'section' && block.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
  });

  it('keeps at most 10 context elements, joining the rest into the last', () => {
    const block = context(Array.from({ length: 14 }, (_, i) => `e${i}`));
    if (block.type !== 'context') throw new Error('expected a context block');
    expect(block.elements).toHaveLength(10);
    expect(block.elements[9]!.text).toBe('e9 · e10 · e11 · e12 · e13');
  });

  it('packs lines into as few sections as fit', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(3, '0')} ${'x'.repeat(96)}`);
    const blocks = packSections(lines);
    expect(blocks).toHaveLength(4);
    const texts = blocks.map((b) => (b.type === 'section' ? b.text.text : ''));
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(texts.join('\n')).toBe(lines.join('\n'));
  });

  it('keeps a group in one section when it fits, and splits it when it does not', () => {
    const small = ['a', 'b'];
    const big = Array.from({ length: 60 }, (_, i) => `${i} ${'y'.repeat(98)}`);
    const blocks = packGroups([small, big]);
    const texts = blocks.map((b) => (b.type === 'section' ? b.text.text : ''));
    expect(texts[0]!.startsWith('a\nb\n\n0 ')).toBe(true);
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(texts.join('\n').split('\n').filter((l) => l.includes('yyyy'))).toHaveLength(60);
  });

  it('caps blocks with a note of how many were left out', () => {
    const blocks = Array.from({ length: 70 }, (_, i) => section(`b${i}`));
    const capped = capBlocks(blocks, 50, (hidden) => `${hidden} hidden`);
    expect(capped).toHaveLength(50);
    expect(capped[49]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '21 hidden' }] });
  });

  it('builds messages within every limit', () => {
    const msg = message('t'.repeat(50_000), Array.from({ length: 80 }, () => section('s'.repeat(4000))));
    expect(msg.text.length).toBeLessThanOrEqual(LIMITS.messageText);
    expect(msg.text.endsWith(TRUNCATED)).toBe(true);
    expect(limitViolations(msg)).toEqual([]);
  });

  it('reports what breaks a limit', () => {
    const violations = limitViolations({
      text: 'x'.repeat(40_001),
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
        { type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } },
        { type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn' as const, text: 'c' })) },
      ],
    });
    expect(violations).toEqual([
      'text has 40001 characters',
      'block 0: header has 151 characters',
      'block 1: section has 3001 characters',
      'block 2: 11 context elements',
    ]);
  });
});
