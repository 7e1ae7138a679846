// The shape of the ABI schema: plain data that names each cross-language number once, with its
// spelling in each language that uses it. abi/gen turns it into TypeScript modules, C++ headers
// and the C guest's header (scripts/abi-gen.mjs; docs/abi.md says how to extend it).

/** How a number is written: decimal, or hex with at least this many digits. */
export type Radix = 'dec' | { hex: number };

/** One named number. A language whose name is omitted does not get it. */
export interface Constant {
  /** TypeScript `export const` name. */
  readonly ts?: string;
  /** C++ `inline constexpr` name. */
  readonly cpp?: string;
  /** C guest `#define` name. */
  readonly c?: string;
  readonly value: number;
  /** C++ type; default uint32_t. */
  readonly cppType?: CppType;
  readonly radix?: Radix;
  readonly doc?: string;
}

export type CppType = 'uint32_t' | 'int32_t' | 'uint16_t' | 'uint8_t' | 'double';

export interface EnumMember {
  readonly name: string;
  readonly value: number;
  readonly doc?: string;
}

/**
 * A set of named values. TypeScript gets a `const enum`; C++ either an enum (members
 * `prefix + name`, or bare names when `scoped`) or, with `constants`, one constexpr per member;
 * the C guest one `#define` per member.
 */
export interface EnumDef {
  readonly ts?: string;
  readonly cpp?:
    | { readonly enum: string; readonly prefix: string; readonly type: CppType; readonly scoped?: boolean }
    | { readonly constants: (member: string) => string; readonly type: CppType };
  /** C guest `#define` prefix, e.g. PVG_REG_. Member names go to SNAKE_CASE after it. */
  readonly c?: string;
  readonly radix?: Radix;
  readonly doc?: string;
  readonly members: readonly EnumMember[];
  /** The member count, as a constant in each language named here (members must be 0..n-1). */
  readonly count?: { readonly ts?: string; readonly cpp?: string; readonly c?: string };
  /** TypeScript: a frozen `{ name: value }` object `as const` instead of a const enum. */
  readonly tsObject?: boolean;
  /** TypeScript: an array of the members' kebab-case names, indexed by value (members 0..n-1). */
  readonly tsNames?: string;
}

/** One spelling of a string set; its C++ enum member is the PascalCase of the kebab-case value. */
export interface StringMember {
  readonly value: string;
  readonly doc?: string;
}

/**
 * A set of strings a native binding returns or takes (a result, an option's values) and
 * TypeScript types. TypeScript gets a union type and a frozen array of the values; C++ an enum
 * class, the spellings by member, `name(member)` and `parse<Enum>(text)` (std::nullopt for any
 * other string).
 */
export interface StringSet {
  /** TypeScript: the union type and the array of its values (schema order). */
  readonly ts: { readonly type: string; readonly values: string };
  /** C++: the enum class (members in schema order from 0). */
  readonly cpp: { readonly enum: string };
  readonly doc: string;
  readonly members: readonly StringMember[];
}

/**
 * A record field. u32/i32/bool take one word, u64 two (low word first). A decoder reads a u64
 * as a number, NaN above 2^53 - 1 (a guest-controlled value that no number holds exactly).
 */
export type FieldType = 'u32' | 'i32' | 'bool' | 'u64';

export interface RecordField {
  readonly name: string;
  readonly type: FieldType;
  readonly doc?: string;
}

export interface RecordKind {
  /** PascalCase; the TS enum member, the C++ enum member after the family's prefix, the struct. */
  readonly name: string;
  readonly value: number;
  readonly fields: readonly RecordField[];
  /** What the receiver answers in the sender's reply slot, when it answers. */
  readonly reply?: string;
  /** What the sender put in its reply slot's payload for the receiver to read. */
  readonly payload?: RecordPayload;
  readonly doc?: string;
}

/**
 * A record's payload (in the sender's reply slot): elements one after another, each of named
 * fields laid out as a record's (u64 low word first), as many as the product of the record's
 * `count` fields. The generated code gives the element's decoders and encoder by index, and
 * the element count and byte size a record announces.
 */
export interface RecordPayload {
  /** PascalCase: the TypeScript element interface `<Struct><Element>`, the C++ nested struct; camelCase, the TS decoders' key. */
  readonly element: string;
  readonly doc: string;
  readonly fields: readonly RecordField[];
  /** The record's u32 fields whose product is the element count (at most two, so it fits 64 bits). */
  readonly count: readonly string[];
}

/** The record kinds of one mailbox direction. */
export interface RecordFamily {
  /** TypeScript const enum of the kinds. */
  readonly ts: string;
  /** C++ enum of the kinds and its member prefix. */
  readonly cpp: { readonly enum: string; readonly prefix: string };
  /** Prefix of the C++ struct names (In → InMmioRead) and the TS record helpers (Out → OutNewFrame). */
  readonly structPrefix: string;
  readonly doc: string;
  readonly kinds: readonly RecordKind[];
  /**
   * Leading fields that several kinds share, for code that reads them whatever the kind (a
   * callback's slot and id): TypeScript decoders and a C++ word count under `name`.
   */
  readonly prefixes?: readonly { readonly name: string; readonly doc: string; readonly fields: readonly RecordField[] }[];
}

/**
 * A field of a byte-addressed struct both sides read in memory (the KVM boot block): u32 and u64
 * naturally aligned, `chars` a fixed-size NUL-terminated string, `u32s` an array of words.
 */
export interface ByteField {
  /** camelCase; the C member is its snake_case. */
  readonly name: string;
  readonly type: 'u32' | 'u64' | { readonly chars: number } | { readonly u32s: number };
  /** Padding the other side never reads: in the C struct, not in the TypeScript offsets. */
  readonly reserved?: boolean;
  /** A comment line before this field in the C struct (who writes the fields from here on). */
  readonly section?: string;
  readonly doc?: string;
}

export interface ByteStruct {
  /** TypeScript: a frozen object of byte offsets (plus `bytes`, and `<name>Bytes` per string). */
  readonly ts: string;
  /** C: `struct <c>`, with a static assertion per offset and of the size. */
  readonly c: string;
  readonly doc: string;
  /** The size; the fields are padded up to it. */
  readonly bytes: number;
  readonly fields: readonly ByteField[];
}

/** One generated unit: a TypeScript module and a C++ header with the same contents. */
export interface Unit {
  readonly name: string;
  /** The file comment both outputs start with (after the generated-file banner). */
  readonly doc: string;
  /** Repository path of the TypeScript module (abi/generated/…). */
  readonly ts?: string;
  /** Repository path of the C++ header and its namespace. */
  readonly cpp?: { readonly path: string; readonly namespace: string };
  readonly constants?: readonly Constant[];
  readonly enums?: readonly EnumDef[];
  /** Strings the native bindings and their TypeScript typings both spell. */
  readonly strings?: readonly StringSet[];
  readonly records?: readonly RecordFamily[];
  /** Bit-packed ids (flow ids): a tag bit and fields packed into a double-exact integer. */
  readonly packedIds?: readonly PackedId[];
  /** Structs laid out in guest memory (TypeScript offsets and C structs). */
  readonly structs?: readonly ByteStruct[];
  /** The record word count the families must fit (the mailbox's argument words). */
  readonly recordArgs?: number;
}

/** An integer made of fields at fixed bit positions (below 2^53, so a double holds it exactly). */
export interface PackedId {
  /** camelCase function name in both languages. */
  readonly name: string;
  readonly doc: string;
  /** A constant bit set in every id of this kind (none when omitted). */
  readonly tagBit?: number;
  /** Fields (u32 arguments), each `value & (2^bits - 1)` placed at `shift`; bits undefined: unmasked. */
  readonly fields: readonly { readonly name: string; readonly shift: number; readonly bits?: number }[];
}
