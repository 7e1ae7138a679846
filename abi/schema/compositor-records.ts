// Mailbox records to the compositor: from the device actors, and under the actor model from the
// engines' threads themselves (display events, docs/scaling.md). Words in a SAB either way: named
// here so no end reads them by index.
import type { RecordField, Unit } from './types.js';

const u32 = (name: string, doc?: string): RecordField => ({ name, type: 'u32', ...(doc ? { doc } : {}) });
const i32 = (name: string): RecordField => ({ name, type: 'i32' });
const bool = (name: string): RecordField => ({ name, type: 'bool' });

/** Every record names its display: the device's index, then the display on that device. */
const where = [u32('device', "The device actor's index."), u32('display', 'The display on that device.')];

export const compositorRecords: Unit = {
  name: 'compositor-records',
  doc: 'Mailbox records to the compositor (from device actors and engines): kinds and fields, with typed encoders and decoders.',
  ts: 'abi/generated/compositor-records.ts',
  cpp: { path: 'native/src/abi/compositor_records.h', namespace: 'pvg::engine::display_events' },
  recordArgs: 14,
  records: [
    {
      ts: 'CompositorKind',
      cpp: { enum: 'CompositorKind', prefix: 'Compositor' },
      structPrefix: 'Compositor',
      doc: 'Device actor or engine → compositor.',
      prefixes: [{ name: 'Target', doc: 'What every compositor record starts with: the display it is about.', fields: where }],
      kinds: [
        { name: 'ModeChange', value: 1, fields: [...where, u32('width'), u32('height'), u32('generation')] },
        {
          name: 'NewFrame',
          value: 2,
          fields: [
            ...where,
            u32('frameSeq'),
            u32('stamp', 'When the engine posted it: the low 32 bits of CLOCK_MONOTONIC in µs (actors/compositor/frame-latency.ts).'),
          ],
        },
        { name: 'EncodeDone', value: 3, fields: [...where, u32('generation'), u32('status', 'EncodeStatus'), u32('frameSeq'), u32('surface')] },
        {
          name: 'CursorGlyph',
          value: 4,
          doc: "The glyph is in that display's cursor slot.",
          fields: [...where, u32('sequence', "The cursor slot's sequence.")],
        },
        { name: 'CursorShow', value: 5, fields: [...where, bool('visible')] },
        { name: 'CursorMove', value: 6, fields: [...where, i32('x'), i32('y')] },
      ],
    },
  ],
};
