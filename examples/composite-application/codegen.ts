/** The codegen service: syntax tree → stack-machine instructions. */
import { createNode } from 'callsign';
import { Code, Generate } from './messages.ts';
import { serve } from './service.ts';

const OPS: Record<string, string> = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' };

function generate(tree: unknown, out: string[] = []): string[] {
  if (typeof tree === 'number') {
    out.push(`push ${tree}`);
  } else if (
    Array.isArray(tree) &&
    tree.length === 3 &&
    typeof tree[0] === 'string' &&
    OPS[tree[0]]
  ) {
    generate(tree[1], out);
    generate(tree[2], out);
    out.push(OPS[tree[0]] as string);
  } else {
    throw new Error(`not a syntax tree: ${JSON.stringify(tree)}`);
  }
  return out;
}

createNode(
  (self) => serve(self, 'codegen', Generate, (m) => new Code({ instructions: generate(m.ast) })),
  {
    name: 'codegen',
  },
);
