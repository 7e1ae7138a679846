// The TypeScript module of a unit: const enums and constants with the names the code imports,
// and for each record kind a field interface plus allocation-free decoders and an encoder.
import type { ByteStruct, Constant, EnumDef, FieldType, PackedId, RecordFamily, RecordKind, RecordPayload, StringSet, Unit } from '../schema/types.js';
import { banner, byteLayout, camel, kebab, literal, payloadOf, wordsOf } from './names.js';

const doc = (text: string | undefined, indent = '') => (text ? `${indent}/** ${text} */\n` : '');

function constant(c: Constant): string {
  return c.ts ? `${doc(c.doc)}export const ${c.ts} = ${literal(c.value, c.radix, 'ts')};\n` : '';
}

function enumDef(e: EnumDef): string {
  if (!e.ts) return '';
  let out = doc(e.doc);
  if (e.tsObject) {
    out += `export const ${e.ts} = {\n${e.members.map((m) => `${doc(m.doc, '  ')}  ${m.name}: ${literal(m.value, e.radix, 'ts')},\n`).join('')}} as const;\n`;
  } else {
    out += `export const enum ${e.ts} {\n${e.members.map((m) => `${doc(m.doc, '  ')}  ${m.name} = ${literal(m.value, e.radix, 'ts')},\n`).join('')}}\n`;
  }
  if (e.tsNames)
    out += `\n/** ${e.ts} members by value, kebab-case. */\nexport const ${e.tsNames} = [${e.members.map((m) => `'${kebab(m.name)}'`).join(', ')}] as const;\n`;
  if (e.count?.ts) out += `export const ${e.count.ts} = ${e.members.length};\n`;
  return out;
}

/** A string set: the union type, and its values as a frozen array (schema order). */
function stringSet(s: StringSet): string {
  const quoted = s.members.map((m) => `'${m.value}'`);
  const values = s.members.map((m) => `${m.doc ? `  /** ${m.doc} */\n` : ''}  '${m.value}',\n`).join('');
  return `\n/** ${s.doc} */\nexport type ${s.ts.type} = ${quoted.join(' | ')};\n/** Every ${s.ts.type}, in schema order. */\nexport const ${s.ts.values}: readonly ${s.ts.type}[] = Object.freeze([\n${values}] as const);\n`;
}

const tsType = (t: FieldType) => (t === 'bool' ? 'boolean' : 'number');

// `at` is a word index, or an expression of one (a payload element's word); `a` the array's name.
function decoder(type: FieldType, at: number | string, a = 'a'): string {
  switch (type) {
    case 'u32':
      return `(${a}[${at}] ?? 0) >>> 0`;
    case 'i32':
      return `(${a}[${at}] ?? 0) | 0`;
    case 'bool':
      return `(${a}[${at}] ?? 0) !== 0`;
    case 'u64':
      return `readU64(${a}, ${at})`;
  }
}

function encoder(type: FieldType, at: number | string, value: string, a = 'a'): string {
  switch (type) {
    case 'u32':
    case 'i32':
      return `  ${a}[${at}] = ${value};\n`;
    case 'bool':
      return `  ${a}[${at}] = ${value} ? 1 : 0;\n`;
    case 'u64':
      return `  writeU64(${a}, ${at}, ${value});\n`;
  }
}

/** Word `offset` of payload element `i` (elements of `words` words), as an expression. */
const elementWord = (words: number, offset: number) => (words === 1 ? 'i' : `i * ${words}`) + (offset ? ` + ${offset}` : '');

/** A payload element's interface. */
function payloadInterface(name: string, p: RecordPayload): string {
  return `\n/** ${name}'s payload element. ${p.doc} */\nexport interface ${name}${p.element} {\n${p.fields.map((f) => `${doc(f.doc, '  ')}  ${f.name}: ${tsType(f.type)};\n`).join('')}}\n`;
}

/**
 * The payload helpers of a record: its element count and bytes (read from the record's count
 * fields; exact below 2^53, and beyond that still larger than any payload), and by element
 * index over the payload's words, decoders and an encoder.
 */
function payloadCodec(name: string, k: RecordKind, p: RecordPayload): string {
  const words = wordsOf(p.fields);
  const offsets = new Map<string, number>();
  let at = 0;
  for (const f of k.fields) {
    offsets.set(f.name, at);
    at += f.type === 'u64' ? 2 : 1;
  }
  const count = p.count.map((c) => `(${decoder('u32', offsets.get(c)!)})`).join(' * ');
  let out = `  /** Elements in the payload: ${p.count.join(' × ')}. */\n  payloadElements: (a: Int32Array): number => ${count},\n`;
  out += `  /** The payload's bytes: ${p.count.join(' × ')} × ${words * 4}. */\n  payloadBytes: (a: Int32Array): number => ${count} * ${words * 4},\n`;
  out += `  /** The payload's elements (${p.element}) by index \`i\` over the payload's words \`p\`. */\n  ${camel(p.element)}: {\n    /** Words per element. */\n    words: ${words},\n`;
  at = 0;
  for (const f of p.fields) {
    out += `    ${f.name}: (p: Int32Array, i: number): ${tsType(f.type)} => ${decoder(f.type, elementWord(words, at), 'p')},\n`;
    if (f.type === 'u64')
      for (const [half, word] of [
        ['Lo', at],
        ['Hi', at + 1],
      ] as const)
        out += `    ${f.name}${half}: (p: Int32Array, i: number): number => ${decoder('u32', elementWord(words, word), 'p')},\n`;
    at += f.type === 'u64' ? 2 : 1;
  }
  out += `    /** Writes element \`i\` into the payload's words (u64 fields must be safe non-negative integers). */\n`;
  out += `    encode(p: Int32Array, i: number, e: ${name}${p.element}): void {\n`;
  out += `      if (!Number.isSafeInteger(i) || i < 0 || p.length < (i + 1) * ${words}) throw new RangeError(\`${name}.${camel(p.element)}: element \${i} does not fit \${p.length} payload words\`);\n`;
  at = 0;
  for (const f of p.fields) {
    out += encoder(f.type, elementWord(words, at), `e.${f.name}`, 'p').replace(/^ {2}/, '      ');
    at += f.type === 'u64' ? 2 : 1;
  }
  return `${out}    },\n  },\n`;
}

function record(family: RecordFamily, k: RecordKind): string {
  const name = family.structPrefix + k.name;
  const payload = payloadOf(k);
  const notes = [k.doc, k.reply && `Reply: ${k.reply}.`, payload && `Payload: ${payload.count.join(' × ')} × ${payload.element}.`].filter(Boolean).join(' ');
  let out = payload ? payloadInterface(name, payload) : '';
  out += `\n/** ${family.ts}.${k.name}${notes ? `: ${notes}` : ''} */\n`;
  if (k.fields.length === 0) out += `export type ${name} = Record<string, never>;\n`;
  else out += `export interface ${name} {\n${k.fields.map((f) => `${doc(f.doc, '  ')}  ${f.name}: ${tsType(f.type)};\n`).join('')}}\n`;
  out += `export const ${name} = {\n  kind: ${family.ts}.${k.name},\n  /** Argument words the record uses. */\n  words: ${wordsOf(k.fields)},\n`;
  let at = 0;
  const names = new Set(k.fields.map((f) => f.name));
  for (const f of k.fields) {
    out += `  ${f.name}: (a: Int32Array): ${tsType(f.type)} => ${decoder(f.type, at)},\n`;
    if (f.type === 'u64') {
      // The halves, exact whatever the value (a trace argument, a 32-bit register write).
      for (const [half, word] of [
        ['Lo', at],
        ['Hi', at + 1],
      ] as const) {
        if (names.has(f.name + half)) throw new Error(`abi: ${name}.${f.name}${half} is both a field and a half of ${f.name}`);
        out += `  ${f.name}${half}: (a: Int32Array): number => ${decoder('u32', word)},\n`;
      }
    }
    at += f.type === 'u64' ? 2 : 1;
  }
  out += `  /** Writes the fields into a record's argument words (u64 fields must be safe non-negative integers). */\n`;
  out += `  encode(${k.fields.length ? 'a' : '_a'}: Int32Array, ${k.fields.length ? 'r' : '_r'}: ${name}): void {\n`;
  if (k.fields.length)
    out += `    if (a.length < ${wordsOf(k.fields)}) throw new RangeError(\`${name}: \${a.length} argument words, needs ${wordsOf(k.fields)}\`);\n`;
  at = 0;
  for (const f of k.fields) {
    out += encoder(f.type, at, `r.${f.name}`).replace(/^ {2}/, '    ');
    at += f.type === 'u64' ? 2 : 1;
  }
  out += `  },\n`;
  if (payload) out += payloadCodec(name, k, payload);
  if (wordsOf(k.fields) <= POSITIONAL_WORDS) out += posters(family, k);
  out += `} as const;\n`;
  return out;
}

/** The argument words Mailbox.post and tryPost take by position (shared/mailbox/mailbox.ts). */
const POSITIONAL_WORDS = 7;

/**
 * post, tryPost and tryRepost for a kind that fits the mailbox's positional post: the fields as
 * parameters, in order, so a hot path posts by name without allocating.
 */
function posters(family: RecordFamily, k: RecordKind): string {
  const params: string[] = [];
  const words: string[] = [];
  for (const f of k.fields) {
    if (f.type === 'u64') {
      params.push(`${f.name}Lo: number`, `${f.name}Hi: number`);
      words.push(`${f.name}Lo`, `${f.name}Hi`);
    } else {
      params.push(`${f.name}: ${tsType(f.type)}`);
      words.push(f.type === 'bool' ? `${f.name} ? 1 : 0` : f.name);
    }
  }
  const kind = `${family.ts}.${k.name}`;
  const args = ['m: RecordPoster', ...params].join(', ');
  const values = [kind, ...words].join(', ');
  const held = Array.from({ length: wordsOf(k.fields) }, (_, i) => `a[${i}]`);
  let out = `  /** Posts the record into \`m\`, waiting while it is full (a u64 field as its low and high words). */\n`;
  out += `  post(${args}): void {\n    m.post(${values});\n  },\n`;
  out += `  /** As post, but false instead of waiting when \`m\` is full. */\n`;
  out += `  tryPost(${args}): boolean {\n    return m.tryPost(${values});\n  },\n`;
  out += `  /** Posts the record held in \`a\` (this kind's words, e.g. taken from another mailbox) into \`m\` unchanged; false when \`m\` is full. */\n`;
  out += `  tryRepost(m: RecordPoster, ${held.length ? 'a' : '_a'}: Int32Array): boolean {\n    return m.tryPost(${[kind, ...held].join(', ')});\n  },\n`;
  return out;
}

const recordPoster = `
/** Where the posting helpers write: a mailbox (shared/mailbox/mailbox.ts), by its shape. */
export interface RecordPoster {
  post(kind: number, a0?: number, a1?: number, a2?: number, a3?: number, a4?: number, a5?: number, a6?: number): void;
  tryPost(kind: number, a0?: number, a1?: number, a2?: number, a3?: number, a4?: number, a5?: number, a6?: number): boolean;
}
`;

function prefix(family: RecordFamily, pre: NonNullable<RecordFamily['prefixes']>[number]): string {
  let out = `\n/** ${pre.doc} Decoders for any ${family.ts} kind that starts so. */\nexport const ${family.structPrefix}${pre.name} = {\n  words: ${wordsOf(pre.fields)},\n`;
  let at = 0;
  for (const f of pre.fields) {
    out += `  ${f.name}: (a: Int32Array): ${tsType(f.type)} => ${decoder(f.type, at)},\n`;
    at += f.type === 'u64' ? 2 : 1;
  }
  return `${out}} as const;\n`;
}

const u64Helpers = `
/** A u64 field (low word at i) as a number; NaN when it exceeds 2^53 - 1. */
function readU64(a: Int32Array, i: number): number {
  const hi = (a[i + 1] ?? 0) >>> 0;
  if (hi > 0x1fffff) return NaN;
  return hi * 0x1_0000_0000 + ((a[i] ?? 0) >>> 0);
}

function writeU64(a: Int32Array, i: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(\`not a u64 that a number holds exactly: \${value}\`);
  a[i] = value >>> 0;
  a[i + 1] = Math.floor(value / 0x1_0000_0000);
}
`;

function packedId(p: PackedId): string {
  const parts = p.tagBit === undefined ? [] : [`2 ** ${p.tagBit}`];
  for (const f of p.fields) {
    const value = f.bits === undefined ? f.name : `((${f.name} >>> 0) & 0x${(2 ** f.bits - 1).toString(16)})`;
    parts.push(f.shift === 0 ? value : `${value} * 2 ** ${f.shift}`);
  }
  return `\n/** ${p.doc} */\nexport function ${p.name}(${p.fields.map((f) => `${f.name}: number`).join(', ')}): number {\n  return ${parts.join(' + ')};\n}\n`;
}

function byteStruct(st: ByteStruct): string {
  let out = `\n/** ${st.doc} Byte offsets. */\nexport const ${st.ts} = {\n`;
  for (const { field, offset } of byteLayout(st)) {
    if (field.reserved) continue;
    out += `${doc(field.doc, '  ')}  ${field.name}: ${literal(offset, { hex: 2 }, 'ts')},\n`;
    if (typeof field.type === 'object' && 'chars' in field.type) out += `  ${field.name}Bytes: ${field.type.chars},\n`;
  }
  return `${out}  bytes: ${literal(st.bytes, { hex: 2 }, 'ts')},\n} as const;\n`;
}

export function emitTs(unit: Unit, schemaFile: string): string {
  let out = banner('//', schemaFile) + `// ${unit.doc}\n\n`;
  for (const c of unit.constants ?? []) out += constant(c);
  for (const e of unit.enums ?? []) out += (out.endsWith('\n\n') ? '' : '\n') + enumDef(e);
  for (const s of unit.strings ?? []) out += stringSet(s);
  for (const family of unit.records ?? []) {
    out += `\n/** ${family.doc} */\nexport const enum ${family.ts} {\n`;
    out += family.kinds.map((k) => `${doc(k.doc, '  ')}  ${k.name} = ${literal(k.value, k.value >= 0x100 ? { hex: 3 } : 'dec', 'ts')},\n`).join('');
    out += '}\n';
  }
  for (const p of unit.packedIds ?? []) out += packedId(p);
  for (const st of unit.structs ?? []) out += byteStruct(st);
  const needsU64 = (unit.records ?? []).some((f) => f.kinds.some((k) => [...k.fields, ...(k.payload?.fields ?? [])].some((x) => x.type === 'u64')));
  if (needsU64) out += u64Helpers;
  if ((unit.records ?? []).some((f) => f.kinds.some((k) => wordsOf(k.fields) <= POSITIONAL_WORDS))) out += recordPoster;
  for (const family of unit.records ?? []) {
    for (const pre of family.prefixes ?? []) out += prefix(family, pre);
    for (const k of family.kinds) out += record(family, k);
  }
  return out;
}
