// The viewer end to end in a real browser: Debian's Chromium (headless, driven by playwright-core)
// loads the display page, noVNC connects through the WebSocket bridge to a VncServer, and the
// canvas must hold exactly the source's pixels, follow damage, and ask for a password when needed.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VncServer } from '../../../outputs/vnc/server.js';
import { WebViewer } from '../../../outputs/web/index.js';
import { launchChromium, untilCanvasMatches as untilPixels, untilState } from '../../support/browser.js';
import { TestSource } from '../vnc/test-source.js';

const untilCanvasMatches = (page: Page, src: TestSource) => untilPixels(page, () => src.px, src.w, src.h);

describe('web viewer in Chromium', () => {
  let browser: Browser;
  let source: TestSource;
  let locked: TestSource;
  let vnc: VncServer;
  let vncLocked: VncServer;
  let viewer: WebViewer;
  const pageErrors: string[] = [];
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    // A picture with flat areas, a gradient and per-pixel noise, so every decoder path shows.
    source = new TestSource(160, 120, 3);
    locked = new TestSource(96, 64, 5);
    vnc = await VncServer.listen({ source, port: 0, log: () => undefined });
    vncLocked = await VncServer.listen({ source: locked, port: 0, password: 'secret', log: () => undefined });
    viewer = await WebViewer.listen({
      port: 0,
      displays: [
        { label: 'main', vncPort: vnc.port },
        { label: 'locked', vncPort: vncLocked.port },
      ],
      log: () => undefined,
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await viewer?.close();
    await vnc?.close();
    await vncLocked?.close();
  });

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    const origin = `127.0.0.1:${viewer.port}`;
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => {
      if (new URL(r.url()).host !== origin) foreignRequests.push(r.url());
    });
    page.on('websocket', (ws) => {
      if (new URL(ws.url()).host !== origin) foreignRequests.push(ws.url());
    });
    await page.goto(`http://${origin}${path}`);
    return page;
  }

  it('shows the display pixel for pixel, then follows damage', async () => {
    const page = await open('/display/0?scale=0');
    await untilState(page, 'connected');
    await untilCanvasMatches(page, source);
    expect(await page.textContent('#status')).toBe('connected');

    source.fill({ x: 10, y: 20, width: 50, height: 30 }, 0xff12ab34);
    source.fill({ x: 100, y: 90, width: 60, height: 30 }, 0xffc0ffee);
    vnc.damage([
      { x: 10, y: 20, width: 50, height: 30 },
      { x: 100, y: 90, width: 60, height: 30 },
    ]);
    await untilCanvasMatches(page, source);

    // noVNC was loaded from this server alone, and ran without errors.
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(viewer.stats().connectionsNow).toBe(1);
    await page.close();
  });

  it('scales the display to fit the window by default', async () => {
    const page = await open('/display/0');
    await untilState(page, 'connected');
    const box = await page.locator('#screen canvas').first().boundingBox();
    expect(box).not.toBeNull();
    // 160x120 in a window 800 wide, below the bar: scaled up until it fits (4:3 kept).
    expect(box!.width).toBeGreaterThan(400);
    expect(box!.width).toBeLessThanOrEqual(800);
    expect(box!.width / box!.height).toBeCloseTo(160 / 120, 1);
    await page.close();
  });

  it('asks for the VNC password, refuses a wrong one and connects with the right one', async () => {
    const page = await open('/display/1?scale=0');
    await untilState(page, 'password');
    await page.fill('#password', 'wrong');
    await page.press('#password', 'Enter');
    await untilState(page, 'failed');
    expect(await page.textContent('#status')).toContain('authentication failed');

    await page.click('#reconnect');
    await untilState(page, 'password');
    await page.fill('#password', 'secret');
    await page.press('#password', 'Enter');
    await untilState(page, 'connected');
    await untilCanvasMatches(page, locked);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('disconnects the page when the viewer closes', async () => {
    const page = await open('/display/0?scale=0');
    await untilState(page, 'connected');
    await viewer.close();
    await untilState(page, 'disconnected');
    expect(viewer.stats().connectionsNow).toBe(0);
    await page.close();
  });
});
