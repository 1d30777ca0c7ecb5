/** The parse service: arithmetic text → syntax tree. */
import { createNode } from 'callsign';
import { Parse, Parsed } from './messages.ts';
import { serve } from './service.ts';

type Tree = number | [string, Tree, Tree];

/** Recursive descent over + - * / ( ) and numbers, with unary minus. */
export function parse(text: string): Tree {
  const tokens = text.match(/\d+(?:\.\d+)?|[-+*/()]|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expression = (): Tree => {
    let left = term();
    while (peek() === '+' || peek() === '-') left = [next() as string, left, term()];
    return left;
  };
  const term = (): Tree => {
    let left = factor();
    while (peek() === '*' || peek() === '/') left = [next() as string, left, factor()];
    return left;
  };
  const factor = (): Tree => {
    const token = next();
    if (token === '-') return ['-', 0, factor()];
    if (token === '(') {
      const inner = expression();
      if (next() !== ')') throw new Error(`expected ) in ${text}`);
      return inner;
    }
    if (token !== undefined && /^\d/.test(token)) return Number(token);
    throw new Error(`unexpected ${token ?? 'end'} in ${text}`);
  };
  const tree = expression();
  if (i !== tokens.length) throw new Error(`unexpected ${tokens[i]} in ${text}`);
  return tree;
}

createNode(
  (self) => serve(self, 'parse', Parse, (m) => new Parsed({ text: m.text, ast: parse(m.text) })),
  {
    name: 'parse',
  },
);
