// Mailbox records to the interrupt controller actor: devices post line changes and MSIs, vCPUs
// post EOIs. Both ends are TypeScript; every field is distrusted by the controller.
import type { RecordField, Unit } from './types.js';

const u32 = (name: string, doc?: string): RecordField => ({ name, type: 'u32', ...(doc ? { doc } : {}) });
const bool = (name: string, doc?: string): RecordField => ({ name, type: 'bool', ...(doc ? { doc } : {}) });

export const irqRecords: Unit = {
  name: 'irq-records',
  doc: 'Mailbox records to the interrupt controller: kinds and fields, with typed encoders and decoders.',
  ts: 'abi/generated/irq-records.ts',
  records: [
    {
      ts: 'IrqKind',
      cpp: { enum: 'IrqKind', prefix: 'Irq' },
      structPrefix: 'Irq',
      doc: 'Devices and vCPUs → interrupt controller.',
      kinds: [
        { name: 'LinePulse', value: 1, fields: [u32('line')] },
        { name: 'LineLevel', value: 2, fields: [u32('line'), bool('high')] },
        {
          name: 'Msi',
          value: 3,
          fields: [{ name: 'address', type: 'u64', doc: 'NaN past 2^53 - 1: the controller counts that as an invalid MSI, never rounds.' }, u32('data')],
        },
        { name: 'Eoi', value: 4, fields: [u32('vcpu'), u32('vector')] },
        { name: 'Mask', value: 5, fields: [u32('line'), bool('masked')] },
      ],
    },
  ],
};
