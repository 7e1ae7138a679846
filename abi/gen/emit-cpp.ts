// The C++ header of a unit: constexpr constants and enums with the names the engine uses, and for
// each record kind a struct with named fields that packs into and unpacks from a record's words.
import type { Constant, EnumDef, FieldType, PackedId, RecordFamily, RecordKind, RecordPayload, StringSet, Unit } from '../schema/types.js';
import { banner, literal, pascalOfKebab, payloadOf, wordsOf } from './names.js';

const comment = (text: string | undefined) => (text ? `  // ${text}` : '');

function constant(c: Constant): string {
  return c.cpp ? `inline constexpr ${c.cppType ?? 'uint32_t'} ${c.cpp} = ${literal(c.value, c.radix, 'cpp')};${comment(c.doc)}\n` : '';
}

function enumDef(e: EnumDef): string {
  if (!e.cpp) return '';
  const cpp = e.cpp;
  let out = e.doc ? `// ${e.doc}\n` : '';
  if ('constants' in cpp) {
    for (const m of e.members) {
      if (m.doc) out += `// ${m.doc}\n`;
      out += `inline constexpr ${cpp.type} ${cpp.constants(m.name)} = ${literal(m.value, e.radix, 'cpp')};\n`;
    }
  } else {
    out += `enum ${cpp.scoped ? 'class ' : ''}${cpp.enum} : ${cpp.type} {\n`;
    for (const m of e.members) out += `  ${cpp.prefix}${m.name} = ${literal(m.value, e.radix, 'cpp')},${comment(m.doc)}\n`;
    out += '};\n';
  }
  if (e.count?.cpp) out += `inline constexpr uint32_t ${e.count.cpp} = ${e.members.length};\n`;
  return out;
}

/**
 * A string set: an enum class, its spellings indexed by member, name() and parse<Enum>(); the
 * static assertions make every spelling parse back to its own member (so none is spelled twice).
 */
function stringSet(s: StringSet): string {
  const e = s.cpp.enum;
  const n = s.members.length;
  const members = s.members.map((m) => pascalOfKebab(m.value));
  let out = `\n// ${s.doc}\nenum class ${e} : uint8_t {\n${s.members.map((m, i) => `  ${members[i]} = ${i},${comment(m.doc)}\n`).join('')}};\n`;
  out += `inline constexpr std::array<std::string_view, ${n}> k${e}Names = {${s.members.map((m) => `"${m.value}"`).join(', ')}};\n`;
  out += `// Its spelling (a string literal, so data() is NUL-terminated).\nconstexpr std::string_view name(${e} v) { return k${e}Names[static_cast<std::size_t>(v)]; }\n`;
  out += `// The member spelled \`text\`, or std::nullopt.\nconstexpr std::optional<${e}> parse${e}(std::string_view text) {\n`;
  out += `  for (std::size_t i = 0; i < k${e}Names.size(); ++i)\n    if (k${e}Names[i] == text) return static_cast<${e}>(i);\n  return std::nullopt;\n}\n`;
  for (const m of members) out += `static_assert(parse${e}(name(${e}::${m})) == ${e}::${m});\n`;
  return out;
}

const cppType = (t: FieldType) => ({ u32: 'uint32_t', i32: 'int32_t', bool: 'bool', u64: 'uint64_t' })[t];

function unpackField(type: FieldType, name: string, at: number): string {
  switch (type) {
    case 'u32':
      return `    r.${name} = a[${at}];\n`;
    case 'i32':
      return `    r.${name} = static_cast<int32_t>(a[${at}]);\n`;
    case 'bool':
      return `    r.${name} = a[${at}] != 0;\n`;
    case 'u64':
      return `    r.${name} = uint64_t{a[${at}]} | (uint64_t{a[${at + 1}]} << 32);\n`;
  }
}

function packField(type: FieldType, name: string, at: number): string {
  switch (type) {
    case 'u32':
      return `    a[${at}] = ${name};\n`;
    case 'i32':
      return `    a[${at}] = static_cast<uint32_t>(${name});\n`;
    case 'bool':
      return `    a[${at}] = ${name} ? 1u : 0u;\n`;
    case 'u64':
      return `    a[${at}] = static_cast<uint32_t>(${name});\n    a[${at + 1}] = static_cast<uint32_t>(${name} >> 32);\n`;
  }
}

/**
 * A payload element as a struct nested in its record's, packed into and unpacked from element
 * `i` of the payload's words; and the record's element count.
 */
function payloadElement(p: RecordPayload): string {
  const words = wordsOf(p.fields);
  let out = `\n  // The payload: ${p.count.join(' × ')} elements, one after another. ${p.doc}\n  struct ${p.element} {\n    static constexpr uint32_t kWords = ${words};\n`;
  for (const f of p.fields) out += `    ${cppType(f.type)} ${f.name} = ${f.type === 'bool' ? 'false' : '0'};${comment(f.doc)}\n`;
  out += `\n    // Element i of a payload's words (i < words.size() / kWords).\n    static ${p.element} unpack(std::span<const uint32_t> words, std::size_t i) {\n      const auto a = words.subspan(i * kWords, kWords);\n      ${p.element} r;\n`;
  let at = 0;
  for (const f of p.fields) {
    out += unpackField(f.type, f.name, at).replace(/^ {4}/gm, '      ');
    at += f.type === 'u64' ? 2 : 1;
  }
  out += `      return r;\n    }\n    void pack(std::span<uint32_t> words, std::size_t i) const {\n      const auto a = words.subspan(i * kWords, kWords);\n`;
  at = 0;
  for (const f of p.fields) {
    out += packField(f.type, f.name, at).replace(/^ {4}/gm, '      ');
    at += f.type === 'u64' ? 2 : 1;
  }
  out += `    }\n  };\n`;
  const count = p.count.map((c, i) => (i === 0 ? `uint64_t{${c}}` : c)).join(' * ');
  return `${out}  // Elements in the payload (two u32 factors fit 64 bits).\n  uint64_t payloadElements() const { return ${count}; }\n`;
}

function record(family: RecordFamily, k: RecordKind): string {
  const payload = payloadOf(k);
  const notes = [k.doc, k.reply && `Reply: ${k.reply}.`, payload && `Payload: ${payload.count.join(' × ')} × ${payload.element}.`].filter(Boolean).join(' ');
  let out = `\n// ${family.cpp.prefix}${k.name}${notes ? `: ${notes}` : ''}\n`;
  out += `struct ${k.name} {\n  static constexpr ${family.cpp.enum} kKind = ${family.cpp.prefix}${k.name};\n  static constexpr uint32_t kWords = ${wordsOf(k.fields)};\n`;
  for (const f of k.fields) out += `  ${cppType(f.type)} ${f.name} = ${f.type === 'bool' ? 'false' : '0'};${comment(f.doc)}\n`;
  if (payload) out += payloadElement(payload);
  const a = k.fields.length ? 'a' : '';
  out += `\n  static ${k.name} unpack([[maybe_unused]] const Args& ${a || 'a'}) {\n    ${k.name} r;\n`;
  let at = 0;
  for (const f of k.fields) {
    out += unpackField(f.type, f.name, at);
    at += f.type === 'u64' ? 2 : 1;
  }
  out += `    return r;\n  }\n  void pack([[maybe_unused]] Args& a) const {\n`;
  at = 0;
  for (const f of k.fields) {
    out += packField(f.type, f.name, at);
    at += f.type === 'u64' ? 2 : 1;
  }
  out += `  }\n};\nstatic_assert(${k.name}::kWords <= kArgs);\n`;
  return out;
}

function packedId(p: PackedId): string {
  const parts = p.tagBit === undefined ? [] : [`(uint64_t{1} << ${p.tagBit})`];
  for (const f of p.fields) {
    const value = f.bits === undefined ? `uint64_t{${f.name}}` : `uint64_t{${f.name} & 0x${(2 ** f.bits - 1).toString(16).toUpperCase()}u}`;
    parts.push(f.shift === 0 ? value : `(${value} << ${f.shift})`);
  }
  const args = p.fields.map((f) => `uint32_t ${f.name}`).join(', ');
  return `\n// ${p.doc}\ninline constexpr double ${p.name}(${args}) { return static_cast<double>(${parts.join(' | ')}); }\n`;
}

export function emitCpp(unit: Unit, schemaFile: string): string {
  if (!unit.cpp) throw new Error(`abi: unit ${unit.name} has no C++ header`);
  const hasRecords = (unit.records ?? []).length > 0;
  const hasPayloads = (unit.records ?? []).some((f) => f.kinds.some((k) => k.payload));
  const hasStrings = (unit.strings ?? []).length > 0;
  const includes = [
    ...(hasRecords || hasStrings ? ['array'] : []),
    ...(hasPayloads || hasStrings ? ['cstddef'] : []),
    'cstdint',
    ...(hasStrings ? ['optional'] : []),
    ...(hasPayloads ? ['span'] : []),
    ...(hasStrings ? ['string_view'] : []),
  ];
  let out =
    banner('//', schemaFile) + `// ${unit.doc}\n#pragma once\n${includes.map((i) => `#include <${i}>\n`).join('')}\nnamespace ${unit.cpp.namespace} {\n`;
  for (const c of unit.constants ?? []) out += constant(c);
  for (const e of unit.enums ?? []) out += `\n${enumDef(e)}`;
  for (const s of unit.strings ?? []) out += stringSet(s);
  for (const p of unit.packedIds ?? []) out += packedId(p);
  if (hasRecords) {
    if (unit.recordArgs === undefined) throw new Error(`abi: unit ${unit.name} has records but no recordArgs`);
    out += `\n// A record's argument words; u64 fields take two, low word first.\ninline constexpr uint32_t kArgs = ${unit.recordArgs};\nusing Args = std::array<uint32_t, kArgs>;\n`;
  }
  for (const family of unit.records ?? []) {
    out += `\n// ${family.doc}\nenum ${family.cpp.enum} : uint32_t {\n`;
    out += family.kinds.map((k) => `  ${family.cpp.prefix}${k.name} = ${literal(k.value, k.value >= 0x100 ? { hex: 3 } : 'dec', 'cpp')},\n`).join('');
    out += '};\n';
  }
  for (const family of unit.records ?? []) {
    out += `\nnamespace ${family.structPrefix.toLowerCase()} {\n`;
    for (const pre of family.prefixes ?? []) out += `// ${pre.doc}\ninline constexpr uint32_t k${pre.name}Words = ${wordsOf(pre.fields)};\n`;
    for (const k of family.kinds) out += record(family, k);
    out += `}  // namespace ${family.structPrefix.toLowerCase()}\n`;
  }
  return `${out}}  // namespace ${unit.cpp.namespace}\n`;
}
