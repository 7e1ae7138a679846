// DES for VNC Authentication: the FIPS 81 example, the NBS SP 500-20 known-answer tests (variable
// plaintext and variable key), VNC's bit-reversed key, and, where the host's OpenSSL offers
// two-key triple DES, a random comparison with it (EDE with both keys equal is single DES).
import { createCipheriv, getCiphers } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { desEncryptBlock, vncAuthKey, vncAuthResponse } from '../../../outputs/vnc/des.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const enc = (key: string, block: string) => Buffer.from(desEncryptBlock(hex(key), hex(block))).toString('hex');

describe('DES known answers', () => {
  it('FIPS 81 example and the textbook example', () => {
    expect(enc('0123456789abcdef', '4e6f772069732074')).toBe('3fa40e8a984d4815'); // "Now is t"
    expect(enc('0123456789abcdef', '68652074696d6520')).toBe('6a271787ab8883f9'); // "he time "
    expect(enc('0123456789abcdef', '666f7220616c6c20')).toBe('893d51ec4b563b53'); // "for all "
    expect(enc('133457799bbcdff1', '0123456789abcdef')).toBe('85e813540f0ab405');
  });

  it('NBS variable-plaintext known answers (key 0101010101010101)', () => {
    const expected = [
      '95f8a5e5dd31d900',
      'dd7f121ca5015619',
      '2e8653104f3834ea',
      '4bd388ff6cd81d4f',
      '20b9e767b2fb1456',
      '55579380d77138ef',
      '6cc5defaaf04512f',
      '0d9f279ba5d87260',
    ];
    expected.forEach((c, i) => {
      const pt = Buffer.alloc(8);
      pt[0] = 0x80 >> i;
      expect(enc('0101010101010101', pt.toString('hex'))).toBe(c);
    });
  });

  it('NBS variable-key known answers (plaintext 0)', () => {
    expect(enc('8001010101010101', '0000000000000000')).toBe('95a8d72813daa94d');
    expect(enc('4001010101010101', '0000000000000000')).toBe('0eec1487dd8c26d5');
    expect(enc('2001010101010101', '0000000000000000')).toBe('7ad16ffb79c45926');
    expect(enc('1001010101010101', '0000000000000000')).toBe('d3746294ca6a6cf3');
  });

  it('ignores the parity bits of the key', () => {
    expect(enc('0000000000000000', '0000000000000000')).toBe(enc('0101010101010101', '0000000000000000'));
    expect(enc('0000000000000000', '0000000000000000')).toBe('8ca64de9c1b123a7');
  });

  it('refuses keys and blocks of the wrong size', () => {
    expect(() => desEncryptBlock(new Uint8Array(7), new Uint8Array(8))).toThrow(RangeError);
    expect(() => desEncryptBlock(new Uint8Array(8), new Uint8Array(9))).toThrow(RangeError);
  });
});

describe('VNC Authentication', () => {
  it('reverses the bits of each password byte, pads with zeros and keeps 8 bytes', () => {
    expect(Buffer.from(vncAuthKey('a')).toString('hex')).toBe('8600000000000000'); // 0x61 -> 0x86
    expect(Buffer.from(vncAuthKey('\x01\x80')).toString('hex')).toBe('8001000000000000');
    expect(vncAuthKey('123456789')).toEqual(vncAuthKey('12345678'));
  });

  it('encrypts both halves of the challenge with that key', () => {
    const challenge = hex('00112233445566778899aabbccddeeff');
    const key = vncAuthKey('secret');
    const want = Buffer.concat([Buffer.from(desEncryptBlock(key, challenge.subarray(0, 8))), Buffer.from(desEncryptBlock(key, challenge.subarray(8)))]);
    expect(Buffer.from(vncAuthResponse('secret', challenge))).toEqual(want);
    expect(() => vncAuthResponse('x', new Uint8Array(8))).toThrow(RangeError);
  });
});

const haveEde = getCiphers().includes('des-ede-ecb');

describe.skipIf(!haveEde)('against OpenSSL (des-ede-ecb with K1 = K2)', () => {
  it('agrees on random keys and blocks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), (k, p) => {
        const c = createCipheriv('des-ede-ecb', Buffer.concat([k, k]), null);
        c.setAutoPadding(false);
        const want = Buffer.concat([c.update(p), c.final()]);
        expect(Buffer.from(desEncryptBlock(k, p))).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });
});
