// The C guest's header: one `#define` per line (PVG_…), from the units' C names.
import type { ByteStruct, Unit } from '../schema/types.js';
import { banner, byteLayout, literal, snake } from './names.js';

export interface GuestHeader {
  readonly path: string;
  readonly guard: string;
  readonly doc: string;
  readonly units: readonly Unit[];
  readonly extra: readonly string[];
  /** Lines after the guard, before the defines (includes the header needs). */
  readonly preamble?: readonly string[];
}

const ctype = (t: ByteStruct['fields'][number]['type'], name: string) =>
  t === 'u32' ? `uint32_t ${name}` : t === 'u64' ? `uint64_t ${name}` : 'chars' in t ? `char ${name}[${t.chars}]` : `uint32_t ${name}[${t.u32s}]`;

/** A struct with its offsets in comments, then a static assertion per offset and of the size. */
function byteStruct(st: ByteStruct): string {
  const layout = byteLayout(st);
  let out = `\n// ${st.doc}\nstruct ${st.c} {\n`;
  for (const { field, offset } of layout) {
    if (field.section) out += `  // -- ${field.section} --\n`;
    const note = [`0x${offset.toString(16).padStart(2, '0')}`, field.doc].filter(Boolean).join(' ');
    out += `  ${ctype(field.type, snake(field.name).toLowerCase())};  // ${note}\n`;
  }
  out += '};\n\n';
  for (const { field, offset } of layout) {
    if (field.reserved) continue;
    const member = snake(field.name).toLowerCase();
    out += `PVG_STATIC_ASSERT(offsetof(struct ${st.c}, ${member}) == 0x${offset.toString(16).padStart(2, '0')}, "${member}");\n`;
  }
  return `${out}PVG_STATIC_ASSERT(sizeof(struct ${st.c}) == 0x${st.bytes.toString(16)}, "${st.c} is ${st.bytes} bytes");\n`;
}

export function emitC(h: GuestHeader, schemaFile: string): string {
  let out = banner('//', schemaFile) + `// ${h.doc}\n#ifndef ${h.guard}\n#define ${h.guard}\n`;
  if (h.preamble) out += `\n${h.preamble.join('\n')}\n`;
  for (const unit of h.units) {
    const lines: string[] = [];
    for (const c of unit.constants ?? []) if (c.c) lines.push(`#define ${c.c} ${literal(c.value, c.radix, 'c')}`);
    for (const e of unit.enums ?? []) {
      if (!e.c) continue;
      lines.push('', `// ${e.ts ?? e.c}`);
      for (const m of e.members) lines.push(`#define ${e.c}${snake(m.name)} ${literal(m.value, e.radix, 'c')}`);
      if (e.count?.c) lines.push(`#define ${e.count.c} ${e.members.length}u`);
    }
    out += `\n// ${unit.name}\n${lines.join('\n')}\n`;
    for (const st of unit.structs ?? []) out += byteStruct(st);
  }
  return `${out}\n${h.extra.join('\n')}\n\n#endif\n`;
}
