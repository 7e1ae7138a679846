// What the bridge makes of one WebSocket message from the browser (the `ws` library has already
// unframed and unmasked it): the RFB bytes to pass to the VNC server, or null for a text frame,
// which closes the connection (RFB is bytes; old base64 websockify clients are not spoken here).
import type { RawData } from 'ws';

export function rfbBytesOf(data: RawData, isBinary: boolean): Buffer | null {
  if (!isBinary) return null;
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
