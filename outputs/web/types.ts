// What the browser viewer is given (one entry per display, each an already running VNC server)
// and what it reports. The viewer knows nothing about the VM: it serves noVNC and bridges bytes.

/** One display as the viewer offers it: a label for people and where its VNC server listens. */
export interface WebDisplay {
  label: string;
  vncPort: number;
  /** Where the VNC server listens; 127.0.0.1 unless given. */
  vncHost?: string;
}

/** One line per event worth a person's attention (a refused upgrade, a VNC server that is not there). */
export type WebLogger = (line: string) => void;

export interface WebViewerOptions {
  /** TCP port for HTTP and WebSocket; 0 picks a free one (see WebViewer.port). */
  port: number;
  /** Address to bind; 127.0.0.1 unless the embedder decides otherwise. */
  host?: string;
  displays: readonly WebDisplay[];
  log?: WebLogger;
  /**
   * Per connection: the TCP side is paused while more than this many bytes wait to go to the
   * browser (WebSocket bufferedAmount), and resumed once it is down to half.
   */
  maxBufferedBytes?: number;
  /** Largest WebSocket message accepted from a browser (bigger: the connection is closed). */
  maxMessageBytes?: number;
  /** Bridged connections at once (more: the upgrade is answered 503). */
  maxConnections?: number;
}

export interface WebViewerStats {
  httpRequests: number;
  /** HTTP requests answered 404 (unknown path, traversal, a file outside the noVNC package). */
  notFound: number;
  /** WebSocket upgrades answered with an error status (unknown display, bad origin, too many). */
  upgradesRejected: number;
  connectionsNow: number;
  connectionsTotal: number;
  /** Bridged connections whose VNC server could not be reached or failed. */
  vncErrors: number;
  /** Bytes carried from the VNC servers to browsers, and back. */
  bytesToBrowser: number;
  bytesFromBrowser: number;
  /** Times a VNC socket was paused because its browser was not keeping up. */
  vncPauses: number;
  /** Times a browser's WebSocket was paused because its VNC socket was not keeping up. */
  browserPauses: number;
  /** The most bytes ever waiting on one WebSocket (bufferedAmount after a send). */
  maxBufferedAmount: number;
}
