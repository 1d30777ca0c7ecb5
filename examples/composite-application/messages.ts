import { defineMessage, t } from 'callsign';

/** job-batch → parse: an arithmetic expression to parse. */
export class Parse extends defineMessage('composite.Parse', { text: t.string }) {}

/** parse → job-batch: the syntax tree, as nested arrays `[op, left, right]` and numbers. */
export class Parsed extends defineMessage('composite.Parsed', { text: t.string, ast: t.any }) {}

/** job-batch → codegen: a tree to compile. */
export class Generate extends defineMessage('composite.Generate', { ast: t.any }) {}

/** codegen → job-batch: stack-machine code (`push 2`, `add`, ...). */
export class Code extends defineMessage('composite.Code', { instructions: t.array(t.string) }) {}

/** job-batch → vm: code to run. */
export class Execute extends defineMessage('composite.Execute', {
  instructions: t.array(t.string),
}) {}

/** vm → job-batch: the value the code computed. */
export class Result extends defineMessage('composite.Result', { value: t.float }) {}

/** Any service → job-batch: this step failed. */
export class Failed extends defineMessage('composite.Failed', {
  stage: t.string,
  reason: t.string,
}) {}
