// CRC-32 (zlib's, reflected polynomial 0xedb88320) of two byte runs joined, from each run's CRC
// and the second's length: crc(A‖B) = crc(A)·x^(8·|B|) mod P xor crc(B). Lets parts of one
// section be checksummed on several threads and the section's CRC be put together in order
// (zlib's crc32_combine, done with x^(2^k) mod P per bit of the length).

const POLY = 0xedb88320;
/** x^0 in the reflected representation. */
const ONE = 0x80000000;

/** a·b mod P, both reflected polynomials. */
function multModP(a: number, b: number): number {
  let p = 0;
  for (let m = ONE; m !== 0; m >>>= 1) {
    if (a & m) p ^= b;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) mod P. */
const X2N: number[] = [0x40000000];
for (let k = 1; k < 32; k++) X2N.push(multModP(X2N[k - 1]!, X2N[k - 1]!));

/** x^(8·bytes) mod P. */
function shiftOf(bytes: number): number {
  let p = ONE;
  // x^(8n) = product of x^(2^(k+3)) over the bits k of n; the table repeats with period 32 past it.
  for (let n = bytes, k = 3; n > 0; n = Math.floor(n / 2), k++) if (n % 2 === 1) p = multModP(X2N[k % 32]!, p);
  return p;
}

/** The CRC-32 of A‖B, given crc(A), crc(B) and B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`crc32Combine: length ${lengthB}`);
  return (multModP(shiftOf(lengthB), crcA) ^ crcB) >>> 0;
}
