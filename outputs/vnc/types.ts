// What the VNC server needs from its caller (the compositor), and what it reports back. The server
// reads the source only on its own schedule, on the thread it runs in; the caller tells it what
// changed through VncServer's damage/copy/resize/cursor methods, which never block.

/** A rectangle in framebuffer pixels: non-negative integers, x + width and y + height inside. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The cursor as the compositor holds it: the glyph is ARGB with straight (not premultiplied) alpha. */
export interface CursorImage {
  width: number;
  height: number;
  /** Hotspot inside the glyph. */
  hotX: number;
  hotY: number;
  /** width*height words 0xAARRGGBB, row-major. */
  argb: Uint32Array;
  visible: boolean;
  /** Pointer position on the framebuffer: where the hotspot is. */
  x: number;
  y: number;
}

/** One display as the compositor gives it to a VNC server. */
export interface FramebufferSource {
  width(): number;
  height(): number;
  /** ARGB8888 words (0xAARRGGBB), row-major, width*height: the composed frame WITHOUT cursor. */
  pixels(): Uint32Array;
  /** The cursor glyph, hotspot, visibility and position; null when none is defined. */
  cursor(): CursorImage | null;
  /**
   * Runs `read` while the frame stays as it is, after everything that changed it up to now was
   * told to the server (damage, resize), and returns what it returns. A source written by another
   * thread needs this, or an update could mix two frames; one written on the server's own thread
   * can leave it out. `read` only copies: it must not wait for anything.
   */
  snapshot?<T>(read: () => T): T;
}

/** One line per event worth a person's attention (a client closed for a reason, a refusal). */
export type VncLogger = (line: string) => void;

export type EncodingName = 'raw' | 'zrle' | 'tight';
export type CursorMode = 'composited' | 'cursor' | 'cursor-with-alpha';

export interface VncRectCounts {
  raw: number;
  copyRect: number;
  zrle: number;
  tight: number;
  desktopSize: number;
  cursor: number;
  cursorWithAlpha: number;
  pointerPos: number;
}

export interface VncServerStats {
  clientsNow: number;
  clientsTotal: number;
  bytesSent: number;
  updatesSent: number;
  /** Rectangles sent, by encoding (Tight counts each sub-rectangle it splits a region into). */
  rects: VncRectCounts;
  pointerEvents: number;
  keyEvents: number;
  cutTexts: number;
  /** Clients closed for a malformed message or a protocol violation (one log line each). */
  malformedCloses: number;
  authFailures: number;
  /** Connections closed at once because maxClients were connected. */
  refusedClients: number;
  /** Clients closed because the display changed size and they cannot follow (no DesktopSize). */
  resizeCloses: number;
  /** Clients that did not finish the handshake in time. */
  handshakeTimeouts: number;
  /** Times a client's updates were held back because its socket had more than maxQueuedBytes queued (until it drained). */
  deferredForBacklog: number;
  /** The most bytes ever queued on one client's socket (socket.writableLength after a write). */
  maxQueuedBytes: number;
  /** Copy hints sent as CopyRect, and those that fell back to damage. */
  copiesSent: number;
  copiesAsDamage: number;
}

export interface VncClientInfo {
  id: number;
  remote: string;
  /** The negotiated protocol version, once known. */
  version: '3.3' | '3.7' | '3.8' | null;
  ready: boolean;
  encoding: EncodingName;
  cursorMode: CursorMode;
  /** Bytes queued on the socket now. */
  queuedBytes: number;
  updatesSent: number;
  bytesSent: number;
  /** Damage rectangles waiting for this client's next request. */
  pendingRects: number;
}
