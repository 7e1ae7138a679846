// Copies an ELF shared object, marking the symbol versions given as weak requirements
// (VER_FLG_WEAK in .gnu.version_r), so the dynamic loader accepts a runtime that lacks them and
// binds their symbols to whatever defines them (glibc-compat.cpp, preloaded). Used only for the
// @jazzer.js/fuzzer prebuild on systems older than the one it was built on (scripts/fuzz-js.mjs).
import fs from 'node:fs';

const SHT_GNU_VERNEED = 0x6ffffffe;
const VER_FLG_WEAK = 0x2;

export function weakenVersions(input, output, versions) {
  const b = Buffer.from(fs.readFileSync(input));
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) throw new Error(`${input}: not a 64-bit little-endian ELF file`);
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const section = (i) => {
    const o = shoff + i * shentsize;
    return { type: b.readUInt32LE(o + 4), offset: Number(b.readBigUInt64LE(o + 0x18)), link: b.readUInt32LE(o + 0x28), info: b.readUInt32LE(o + 0x2c) };
  };
  const weakened = [];
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (s.type !== SHT_GNU_VERNEED) continue;
    const strings = section(s.link).offset;
    const name = (at) => b.toString('latin1', strings + at, b.indexOf(0, strings + at));
    let need = s.offset;
    for (let n = 0; n < s.info; n++) {
      let aux = need + b.readUInt32LE(need + 8);
      for (let k = b.readUInt16LE(need + 2); k > 0; k--) {
        const version = name(b.readUInt32LE(aux + 8));
        if (versions.includes(version)) {
          b.writeUInt16LE(b.readUInt16LE(aux + 4) | VER_FLG_WEAK, aux + 4);
          weakened.push(version);
        }
        aux += b.readUInt32LE(aux + 12);
      }
      need += b.readUInt32LE(need + 12);
    }
  }
  fs.writeFileSync(output, b);
  return weakened;
}
