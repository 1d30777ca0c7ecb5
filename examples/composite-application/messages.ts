import { type DefinedMessageClass, defineMessage, type MessageOf, t } from '../../src/index.ts';

const parseFields = { text: t.string };
/** job-batch → parse: an arithmetic expression to parse. */
export interface Parse extends MessageOf<typeof parseFields> {}
export const Parse: DefinedMessageClass<typeof parseFields, 'composite.Parse', Parse> =
  defineMessage('composite.Parse', parseFields);

const parsedFields = { text: t.string, ast: t.any };
/** parse → job-batch: the syntax tree, as nested arrays `[op, left, right]` and numbers. */
export interface Parsed extends MessageOf<typeof parsedFields> {}
export const Parsed: DefinedMessageClass<typeof parsedFields, 'composite.Parsed', Parsed> =
  defineMessage('composite.Parsed', parsedFields);

const generateFields = { ast: t.any };
/** job-batch → codegen: a tree to compile. */
export interface Generate extends MessageOf<typeof generateFields> {}
export const Generate: DefinedMessageClass<typeof generateFields, 'composite.Generate', Generate> =
  defineMessage('composite.Generate', generateFields);

const codeFields = { instructions: t.array(t.string) };
/** codegen → job-batch: stack-machine code (`push 2`, `add`, ...). */
export interface Code extends MessageOf<typeof codeFields> {}
export const Code: DefinedMessageClass<typeof codeFields, 'composite.Code', Code> = defineMessage(
  'composite.Code',
  codeFields,
);

const executeFields = { instructions: t.array(t.string) };
/** job-batch → vm: code to run. */
export interface Execute extends MessageOf<typeof executeFields> {}
export const Execute: DefinedMessageClass<typeof executeFields, 'composite.Execute', Execute> =
  defineMessage('composite.Execute', executeFields);

const resultFields = { value: t.float };
/** vm → job-batch: the value the code computed. */
export interface Result extends MessageOf<typeof resultFields> {}
export const Result: DefinedMessageClass<typeof resultFields, 'composite.Result', Result> =
  defineMessage('composite.Result', resultFields);

const failedFields = { stage: t.string, reason: t.string };
/** Any service → job-batch: this step failed. */
export interface Failed extends MessageOf<typeof failedFields> {}
export const Failed: DefinedMessageClass<typeof failedFields, 'composite.Failed', Failed> =
  defineMessage('composite.Failed', failedFields);
