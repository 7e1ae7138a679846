// Makes a snapshot file's CRC-32s right again (header, each section that lies inside the file,
// the table), so a fuzzer's mutations get past the checksums to the parsing behind them. Only the
// fuzz target and its seeds use this; a loader never repairs a file.
import { crc32 } from 'node:zlib';

import { ENTRY_BYTES, E_CRC, E_LENGTH, E_OFFSET, HEADER_BYTES, H_CRC, H_SECTION_COUNT, MAX_SECTIONS } from '../../vmm/snapshot/layout.js';

export function fixChecksums(file: Uint8Array): void {
  if (file.length < HEADER_BYTES) return;
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  v.setUint32(H_CRC, crc32(file.subarray(0, H_CRC)), true);
  const count = v.getUint32(H_SECTION_COUNT, true);
  const tableEnd = HEADER_BYTES + count * ENTRY_BYTES;
  if (count > MAX_SECTIONS || tableEnd + 4 > file.length) return;
  for (let i = 0; i < count; i++) {
    const e = HEADER_BYTES + i * ENTRY_BYTES;
    const offset = v.getBigUint64(e + E_OFFSET, true);
    const length = v.getBigUint64(e + E_LENGTH, true);
    if (offset + length <= BigInt(file.length)) v.setUint32(e + E_CRC, crc32(file.subarray(Number(offset), Number(offset + length))), true);
  }
  v.setUint32(tableEnd, crc32(file.subarray(HEADER_BYTES, tableEnd)), true);
}
