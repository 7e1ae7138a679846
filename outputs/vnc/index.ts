// The VNC sink's public surface: a server per display, fed by the compositor (docs/vnc.md).
export { VncServer, type VncServerOptions } from './server.js';
export type { CursorImage, CursorMode, EncodingName, FramebufferSource, Rect, VncClientInfo, VncLogger, VncRectCounts, VncServerStats } from './types.js';
