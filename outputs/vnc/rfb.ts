// RFB protocol numbers used by the server (RFC 6143 and the community rfbproto document).

export const ClientMessageType = {
  SetPixelFormat: 0,
  SetEncodings: 2,
  FramebufferUpdateRequest: 3,
  KeyEvent: 4,
  PointerEvent: 5,
  ClientCutText: 6,
} as const;

export const ServerMessageType = {
  FramebufferUpdate: 0,
} as const;

export const SecurityType = {
  Invalid: 0,
  None: 1,
  VncAuth: 2,
} as const;

export const Encoding = {
  Raw: 0,
  CopyRect: 1,
  Tight: 7,
  Zrle: 16,
  DesktopSize: -223,
  PointerPos: -232,
  Cursor: -239,
  CursorWithAlpha: -314,
  /** -256 is level 0 … -247 is level 9. */
  CompressLevel0: -256,
  CompressLevel9: -247,
} as const;

/** The version this server offers; a 3.3 or 3.7 client answers with its own. */
export const SERVER_VERSION = 'RFB 003.008\n';
