// The viewer's own pages: a list of displays, and one page per display that runs noVNC. The
// script and style are files of their own (/viewer.js, /viewer.css) so the pages can carry a
// Content-Security-Policy that allows nothing but this server: no inline script, no other origin.
import { escapeXml } from '../../shared/svg/xml.js';
import type { WebDisplay } from './types.js';

/** Sent with every page: scripts, styles and connections only from here (ws: to here included). */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function indexPage(displays: readonly WebDisplay[]): string {
  const items = displays.map((d, i) => `<li><a href="/display/${i}">${escapeXml(d.label)}</a></li>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pvg-vmm displays</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/viewer.css"></head>
<body class="index"><h1>Displays</h1>
<ul>
${items || '<li>none</li>'}
</ul></body></html>
`;
}

export function displayPage(index: number, display: WebDisplay): string {
  const label = escapeXml(display.label);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${label} — pvg-vmm</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/viewer.css">
<script type="module" src="/viewer.js"></script></head>
<body data-display="${index}" data-state="loading">
<div id="bar"><a href="/">displays</a> <span id="label">${label}</span> <span id="status">loading…</span>
<form id="password-form" hidden><input id="password" type="password" autocomplete="current-password" placeholder="VNC password"> <button>Connect</button></form>
<button id="reconnect" hidden>Reconnect</button></div>
<div id="screen"></div>
</body></html>
`;
}

export const VIEWER_CSS = `html, body { margin: 0; height: 100%; font: 13px system-ui, sans-serif; }
body:not(.index) { display: flex; flex-direction: column; background: #202020; color: #ddd; }
body.index { padding: 1em 2em; }
#bar { display: flex; gap: 0.8em; align-items: center; padding: 2px 8px; background: #333; min-height: 22px; }
#bar a { color: #9cf; }
#label { font-weight: 600; }
#bar input, #bar button { font: inherit; padding: 0 4px; }
body[data-state="connected"] #status { color: #8d8; }
body[data-state="disconnected"] #status, body[data-state="failed"] #status { color: #f88; }
#screen { flex: 1; min-height: 0; overflow: auto; }
`;

/**
 * Runs in the browser as an ES module. noVNC ships as native ES modules (core/rfb.js importing
 * core/… and vendor/pako/…, all relative), so it is imported from /novnc/ as it lies in the package.
 * Query parameters: scale=0 shows the framebuffer pixel for pixel (default: scaled to fit).
 * body[data-state] (loading, connecting, password, connected, failed, disconnected) mirrors the bar.
 */
export const VIEWER_JS = `import RFB from '/novnc/core/rfb.js';

const body = document.body;
const index = body.dataset.display;
const scale = new URLSearchParams(location.search).get('scale') !== '0';
const screen = document.getElementById('screen');
const status = document.getElementById('status');
const form = document.getElementById('password-form');
const password = document.getElementById('password');
const reconnect = document.getElementById('reconnect');
let rfb = null;
let failure = '';

function show(state, text) {
  body.dataset.state = state;
  status.textContent = text;
}

function connect() {
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/websockify/' + index;
  failure = '';
  reconnect.hidden = true;
  form.hidden = true;
  show('connecting', 'connecting…');
  const r = new RFB(screen, url, { wsProtocols: ['binary'], shared: true });
  rfb = r;
  r.scaleViewport = scale;
  r.resizeSession = false;
  r.background = '#202020';
  r.addEventListener('connect', () => show('connected', 'connected'));
  r.addEventListener('credentialsrequired', () => {
    form.hidden = false;
    password.value = '';
    password.focus();
    show('password', 'password required');
  });
  r.addEventListener('securityfailure', (e) => {
    failure = 'authentication failed' + (e.detail.reason ? ': ' + e.detail.reason : '');
  });
  r.addEventListener('desktopname', (e) => {
    document.title = e.detail.name + ' — ' + document.getElementById('label').textContent;
  });
  r.addEventListener('disconnect', (e) => {
    if (rfb !== r) return;
    rfb = null;
    form.hidden = true;
    reconnect.hidden = false;
    if (failure) show('failed', failure);
    else show('disconnected', e.detail.clean ? 'disconnected' : 'connection lost');
  });
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (!rfb) return;
  form.hidden = true;
  show('connecting', 'authenticating…');
  rfb.sendCredentials({ password: password.value });
});
reconnect.addEventListener('click', connect);
connect();
`;
