import { type DefinedMessageClass, defineMessage, type MessageOf, t } from '../../src/index.ts';

const helloFields = { name: t.string };
/** What the subscriber says. */
export interface Hello extends MessageOf<typeof helloFields> {}
export const Hello: DefinedMessageClass<typeof helloFields, 'hello-welcome.Hello', Hello> =
  defineMessage('hello-welcome.Hello', helloFields);

const welcomeFields = { text: t.string, from: t.string };
/** What the publisher answers. */
export interface Welcome extends MessageOf<typeof welcomeFields> {}
export const Welcome: DefinedMessageClass<typeof welcomeFields, 'hello-welcome.Welcome', Welcome> =
  defineMessage('hello-welcome.Welcome', welcomeFields);
