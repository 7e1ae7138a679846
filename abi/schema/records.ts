// Mailbox records between the device actor and the native engine, field by field. A record is a
// kind and up to RECORD_ARGS (14) u32 words; a u64 field takes two, low word first. Records the
// engine sends start with the engine thread's index; those it waits on carry the reply slot it
// waits in and the request id the answer must quote.
import type { RecordField, Unit } from './types.js';

const u32 = (name: string, doc?: string): RecordField => ({ name, type: 'u32', ...(doc ? { doc } : {}) });
const u64 = (name: string, doc?: string): RecordField => ({ name, type: 'u64', ...(doc ? { doc } : {}) });
const i32 = (name: string, doc?: string): RecordField => ({ name, type: 'i32', ...(doc ? { doc } : {}) });
const bool = (name: string, doc?: string): RecordField => ({ name, type: 'bool', ...(doc ? { doc } : {}) });

/** Who sent an engine record: 0 the MMIO dispatcher, 1 the display queue, 2… the pool. */
const thread = u32('thread', "The engine thread's index (0 the MMIO dispatcher, 1 the display queue, 2… the pool).");
/** A call the engine thread waits on: the slot of the engine's reply table, and the request id. */
// Request ids are compared as signed words in the reply table (shared/reply/reply-table.ts), so
// they decode as i32.
const call = [thread, u32('slot', 'The reply slot the engine thread waits in.'), i32('id', 'The request id the answer quotes.')];

/**
 * An MMIO access as a vCPU posts it to its device actor (device-records.ts) and the device actor
 * forwards it, unchanged, to the engine (EngineIn.MmioRead and MmioWrite): one field list for both.
 */
export const mmioReadFields = (windowDoc: string): readonly RecordField[] => [
  u32('window', windowDoc),
  u64('offset'),
  u32('size'),
  u32('vcpu'),
  u32('slot', "The vCPU's reply slot."),
  i32('id', 'The request id the answer quotes.'),
];
export const mmioWriteFields = (windowDoc: string): readonly RecordField[] => [u32('window', windowDoc), u64('offset'), u32('size'), u64('value'), u32('vcpu')];

export const records: Unit = {
  name: 'engine-records',
  doc: 'Mailbox records between the device actor and the engine: kinds and fields, with typed encoders and decoders.',
  ts: 'abi/generated/engine-records.ts',
  cpp: { path: 'native/src/abi/engine_records.h', namespace: 'pvg::engine::rec' },
  recordArgs: 14,
  enums: [
    {
      ts: 'EngineWindow',
      cpp: { enum: 'Window', prefix: 'Window', type: 'uint32_t' },
      doc: "An MMIO record's window.",
      members: [
        { name: 'Gfx', value: 0 },
        { name: 'Iosfc', value: 1 },
      ],
    },
    {
      ts: 'EncodeStatus',
      cpp: { enum: 'EncodeStatus', prefix: 'Encode', type: 'uint32_t' },
      doc: "OutEncodeDone's status.",
      members: [
        { name: 'Ok', value: 0 },
        { name: 'NoMode', value: 1 },
        { name: 'BadRequest', value: 2 },
        { name: 'StaleMode', value: 3 },
      ],
    },
  ],
  constants: [
    { ts: 'ENGINE_THREAD_MMIO', cpp: 'kThreadMmio', value: 0, doc: 'Engine thread index of the MMIO dispatcher.' },
    { ts: 'ENGINE_THREAD_DISPLAY', cpp: 'kThreadDisplay', value: 1, doc: 'Engine thread index of the display queue (the pool follows).' },
  ],
  records: [
    {
      ts: 'EngineIn',
      cpp: { enum: 'In', prefix: 'In' },
      structPrefix: 'In',
      doc: "Device actor → engine (the engine's inbound mailbox, consumed by its MMIO dispatcher thread).",
      kinds: [
        { name: 'Stop', value: 0, fields: [] },
        { name: 'MmioRead', value: 1, fields: mmioReadFields('EngineWindow'), reply: 'the value read, as two words (low, high)' },
        { name: 'MmioWrite', value: 2, fields: mmioWriteFields('EngineWindow') },
        {
          name: 'Encode',
          value: 3,
          doc: "Encode the display's current frame into a surface of its pool.",
          fields: [u32('display'), u32('surface'), u32('generation'), u32('x'), u32('y'), u32('width'), u32('height')],
        },
        { name: 'Reset', value: 4, fields: [] },
        { name: 'PowerOn', value: 5, fields: [], doc: 'RESET plus everything RESET keeps (modes, frames, cursors, selects): the state of a new engine.' },
      ],
    },
    {
      ts: 'EngineOut',
      cpp: { enum: 'Out', prefix: 'Out' },
      structPrefix: 'Out',
      doc: 'Engine → device actor: callbacks (the engine thread waits for the answer) and display events.',
      prefixes: [
        { name: 'Event', doc: 'What every engine record starts with.', fields: [thread] },
        { name: 'Callback', doc: 'What every record the engine waits on starts with (then its own fields).', fields: call },
      ],
      kinds: [
        { name: 'CreateTask', value: 0x100, fields: [...call, u64('vmSize')], reply: 'task, baseLo, baseHi' },
        { name: 'DestroyTask', value: 0x101, fields: [...call, u32('task')] },
        {
          name: 'MapMemory',
          value: 0x102,
          fields: [...call, u32('task'), u64('va'), bool('readOnly'), u32('count', 'Ranges in the payload.')],
          payload: {
            element: 'Range',
            doc: 'A guest-physical range, placed after the previous one from va.',
            fields: [u64('gpa'), u64('length')],
            count: ['count'],
          },
        },
        { name: 'UnmapMemory', value: 0x103, fields: [...call, u32('task'), u64('va'), u64('length')] },
        { name: 'ReadMemory', value: 0x104, fields: [...call, u64('gpa'), u32('length')], reply: 'the bytes, in the payload' },
        { name: 'RaiseInterrupt', value: 0x105, fields: [thread, u32('vector')] },
        {
          name: 'NewFrame',
          value: 0x110,
          fields: [
            thread,
            u32('display'),
            u32('frameSeq'),
            u32('stamp', 'When the engine posted it: the low 32 bits of CLOCK_MONOTONIC in µs (actors/compositor/frame-latency.ts).'),
          ],
        },
        {
          name: 'ModeChange',
          value: 0x111,
          fields: [thread, u32('display'), u32('width'), u32('height'), u32('pixelFormat'), u32('modeIndex'), u32('generation', 'Encodes quote it.')],
        },
        {
          name: 'CursorGlyph',
          value: 0x112,
          fields: [...call, u32('display'), u32('width'), u32('height'), u32('hotX'), u32('hotY')],
          payload: { element: 'Pixel', doc: 'The glyph row by row, width pixels a row.', fields: [u32('argb', 'ARGB8888.')], count: ['width', 'height'] },
        },
        { name: 'CursorShow', value: 0x113, fields: [thread, u32('display'), bool('show')] },
        { name: 'CursorMove', value: 0x114, fields: [thread, u32('display'), i32('x'), i32('y')] },
        {
          name: 'EncodeDone',
          value: 0x120,
          fields: [thread, u32('display'), u32('surface'), u32('generation'), u32('status', 'EncodeStatus'), u32('frameSeq'), u32('damageCount')],
        },
        { name: 'IosfcMap', value: 0x130, fields: [...call, u32('surface'), u64('gpa'), u32('length'), bool('readOnly')] },
        { name: 'IosfcUnmap', value: 0x131, fields: [...call, u32('surface')] },
        { name: 'IosfcInterrupt', value: 0x132, fields: [thread, u32('vector')] },
      ],
    },
  ],
};
