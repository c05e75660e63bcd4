/** A word of a chat command; `quoted` words are never keywords or options. */
export interface Token {
  text: string;
  quoted: boolean;
}

/** Slack sends links as `<url|label>` and escapes `&`, `<`, `>` in what users type. */
function unSlack(text: string): string {
  return text
    .replace(/<(?:https?|mailto):[^|>\s]*\|([^>]*)>/gi, '$1')
    .replace(/<((?:https?|mailto):[^|>\s]*)>/gi, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** `/hoist`, `hoist`, `@hoist` or a Slack mention (`<@U123>`, `<@U123|hoist>`), with an optional `:` or `,`. */
const PREFIX = /^(?:\/hoist|@?hoist|<@[A-Z0-9]+(?:\|[^>]*)?>)(?=[\s:,]|$)[:,]?\s*/i;

/** The command text without the way it was addressed to Hoist. */
export function stripPrefix(text: string): string {
  let rest = text.trim();
  for (let i = 0; i < 2; i++) {
    const match = PREFIX.exec(rest);
    if (!match) break;
    rest = rest.slice(match[0].length);
  }
  return rest;
}

const DOUBLE_QUOTES = '"“”„«»';
const SINGLE_QUOTES = '\'‘’';

function quoteFamily(char: string): string | null {
  if (DOUBLE_QUOTES.includes(char)) return DOUBLE_QUOTES;
  if (SINGLE_QUOTES.includes(char)) return SINGLE_QUOTES;
  return null;
}

const isSpace = (char: string | undefined) => char === undefined || /\s/.test(char);

/**
 * Splits on whitespace; a word that starts with a straight or curly quote runs
 * to the matching quote followed by a space or the end (so `'don't panic'`
 * stays one word), or to the end when the quote is never closed.
 * Typographic dashes that chat clients make of `--` are read as `--`.
 */
export function tokenize(input: string): Token[] {
  const text = unSlack(input);
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (isSpace(text[i])) {
      i++;
      continue;
    }
    const family = quoteFamily(text[i]!);
    if (family) {
      let end = i + 1;
      while (end < text.length && !(family.includes(text[end]!) && isSpace(text[end + 1]))) end++;
      tokens.push({ text: text.slice(i + 1, end).trim(), quoted: true });
      i = end + 1;
      continue;
    }
    let end = i;
    let word = '';
    while (end < text.length && !isSpace(text[end])) {
      const quotes = text[end - 1] === '=' ? quoteFamily(text[end]!) : null;
      if (quotes) {
        // `--reason="incident 88"`: the quoted value belongs to the option.
        let close = end + 1;
        while (close < text.length && !(quotes.includes(text[close]!) && isSpace(text[close + 1]))) close++;
        word += text.slice(end + 1, close);
        end = close + 1;
        break;
      }
      word += text[end];
      end++;
    }
    tokens.push({ text: word.replace(/^[—–](?=\p{L})/u, '--'), quoted: false });
    i = end;
  }
  return tokens;
}
