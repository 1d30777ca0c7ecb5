/** The vm service: runs stack-machine instructions. */
import { createNode } from 'callsign';
import { Execute, Result } from './messages.ts';
import { serve } from './service.ts';

function run(instructions: string[]): number {
  const stack: number[] = [];
  const pop = () => {
    const v = stack.pop();
    if (v === undefined) throw new Error('stack underflow');
    return v;
  };
  for (const instruction of instructions) {
    const [op, arg] = instruction.split(' ');
    if (op === 'push') stack.push(Number(arg));
    else {
      const b = pop();
      const a = pop();
      if (op === 'add') stack.push(a + b);
      else if (op === 'sub') stack.push(a - b);
      else if (op === 'mul') stack.push(a * b);
      else if (op === 'div') stack.push(a / b);
      else throw new Error(`unknown instruction ${instruction}`);
    }
  }
  if (stack.length !== 1) throw new Error('the program left more than one value');
  return stack[0] as number;
}

createNode(
  (self) => serve(self, 'vm', Execute, (m) => new Result({ value: run(m.instructions) })),
  { name: 'vm' },
);
