// The guest protocol of docs/protocol.md as the TypeScript guest driver sees it: the numbers are
// generated from abi/schema (abi/generated/protocol.ts), shared with the engine and the C guest.
import { ERROR_NAMES, type Op } from '../../abi/generated/protocol.js';

export * from '../../abi/generated/protocol.js';

export type GuestErrorName = (typeof ERROR_NAMES)[number];

/** A command's first word: the opcode in the low 16 bits, the command's word count in the high. */
export function commandHeader(op: Op, words: number): number {
  return (op | (words << 16)) >>> 0;
}
