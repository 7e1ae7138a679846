// The browser viewer's public surface: noVNC pages plus a WebSocket-to-VNC bridge (docs/web-viewer.md).
export { WebViewer } from './viewer.js';
export type { WebDisplay, WebLogger, WebViewerOptions, WebViewerStats } from './types.js';
