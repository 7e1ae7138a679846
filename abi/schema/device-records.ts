// Mailbox records from a vCPU (its MMIO bus, actors/vcpu/bus-port.ts) to a device actor. Both ends
// are TypeScript. The fields are the engine's EngineIn.MmioRead and MmioWrite (records.ts), so the
// device actor forwards a gfx or IOSurface access to the engine word for word; it answers a PCI
// config space access itself.
import { mmioReadFields, mmioWriteFields } from './records.js';
import type { Unit } from './types.js';

export const deviceRecords: Unit = {
  name: 'device-records',
  doc: 'Mailbox records from a vCPU to a device actor: kinds and fields, with typed encoders, decoders and posters.',
  ts: 'abi/generated/device-records.ts',
  enums: [
    {
      ts: 'DeviceWindow',
      doc: 'Which register window of the device an access is for.',
      members: [
        { name: 'Gfx', value: 0 },
        { name: 'Iosfc', value: 1 },
        { name: 'PciConfig', value: 2, doc: "apple-gfx-pci's config space, answered by the device actor (actors/device/pci-config.ts)." },
      ],
    },
  ],
  records: [
    {
      ts: 'DeviceKind',
      cpp: { enum: 'DeviceKind', prefix: 'Device' },
      structPrefix: 'Device',
      doc: 'vCPU → device actor.',
      kinds: [
        { name: 'MmioRead', value: 1, fields: mmioReadFields('DeviceWindow'), reply: 'the value read, as two words (low, high)' },
        { name: 'MmioWrite', value: 2, fields: mmioWriteFields('DeviceWindow') },
      ],
    },
  ],
};
