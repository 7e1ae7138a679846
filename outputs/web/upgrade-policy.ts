// Which WebSocket upgrades may reach a VNC server. Browsers let any web page open a WebSocket to
// any address, so without these checks a page from elsewhere could drive the user's local display
// (cross-site WebSocket hijacking), or reach it through DNS rebinding. A request without Origin
// is not from a browser page and is let through (the VNC password is the only authentication).
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The hostname part of a Host header or URL host, lower-case, IPv6 without brackets. */
function hostname(host: string): string | null {
  try {
    return new URL(`http://${host}`).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  } catch {
    return null;
  }
}

export function isLoopbackName(name: string): boolean {
  const h = name.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Null when the upgrade may proceed, else why not. */
export function upgradeRefusal(req: IncomingMessage, loopbackOnly: boolean): string | null {
  const host = req.headers.host;
  if (host === undefined) return 'no Host header';
  const name = hostname(host);
  if (name === null) return 'bad Host header';
  // Bound to loopback: a page reaching us under another name came through DNS rebinding.
  if (loopbackOnly && !isLoopbackName(name)) return `Host ${host} is not a loopback name`;
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return `bad Origin ${origin}`;
  }
  const ownHost = new URL(`http://${host}`).host;
  return originHost === ownHost ? null : `Origin ${origin} is not this viewer`;
}
