// The C guest's header: one `#define` per line (PVG_…), from the units' C names.
import type { Unit } from '../schema/types.js';
import { banner, literal, snake } from './names.js';

export interface GuestHeader {
  readonly path: string;
  readonly guard: string;
  readonly doc: string;
  readonly units: readonly Unit[];
  readonly extra: readonly string[];
}

export function emitC(h: GuestHeader, schemaFile: string): string {
  let out = banner('//', schemaFile) + `// ${h.doc}\n#ifndef ${h.guard}\n#define ${h.guard}\n`;
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
  }
  return `${out}\n${h.extra.join('\n')}\n\n#endif\n`;
}
