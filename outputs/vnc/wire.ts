// Byte layouts of the server's own messages: ServerInit, FramebufferUpdate headers, rectangle
// headers and the small fixed payloads (CopyRect, security results).
import { encodePixelFormat, type PixelFormat } from './pixel-format.js';
import { ServerMessageType } from './rfb.js';

export function serverInit(width: number, height: number, pf: PixelFormat, name: string): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const b = Buffer.alloc(24 + nameBytes.length);
  b.writeUInt16BE(width, 0);
  b.writeUInt16BE(height, 2);
  encodePixelFormat(pf).copy(b, 4);
  b.writeUInt32BE(nameBytes.length, 20);
  nameBytes.copy(b, 24);
  return b;
}

export function updateHeader(rects: number): Buffer {
  const b = Buffer.alloc(4);
  b[0] = ServerMessageType.FramebufferUpdate;
  b.writeUInt16BE(rects, 2);
  return b;
}

export function rectHeader(x: number, y: number, width: number, height: number, encoding: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(x, 0);
  b.writeUInt16BE(y, 2);
  b.writeUInt16BE(width, 4);
  b.writeUInt16BE(height, 6);
  b.writeInt32BE(encoding, 8);
  return b;
}

export function copyRectPayload(srcX: number, srcY: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(srcX, 0);
  b.writeUInt16BE(srcY, 2);
  return b;
}

export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

/** A U32 length then the bytes: how RFB sends reasons. */
export function reasonString(reason: string): Buffer {
  const s = Buffer.from(reason, 'utf8');
  return Buffer.concat([u32(s.length), s]);
}
