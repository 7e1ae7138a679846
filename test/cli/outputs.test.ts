// The CLI's VNC password sources (issue 16, item 5). Before: PVG_VNC_PASSWORD set but empty served
// VNC with security None and no warning, while an empty password file was refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { parseOutputFlags } from '../../cli/outputs.js';
import { UsageError } from '../../cli/usage.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pvg-outputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('--vnc password sources', () => {
  it('refuses PVG_VNC_PASSWORD set but empty, as it refuses an empty password file', () => {
    expect(() => parseOutputFlags({ vnc: '0' }, 1, { PVG_VNC_PASSWORD: '' })).toThrow(
      new UsageError('PVG_VNC_PASSWORD is set but empty: that would serve VNC without authentication; unset it to serve without a password'),
    );
    expect(() => parseOutputFlags({ vnc: '0', 'vnc-password-file': file('empty', '\nsecond line') }, 1, {})).toThrow(UsageError);
  });

  it('takes the password from the file first, then the environment; neither: none', () => {
    expect(parseOutputFlags({ vnc: '0', 'vnc-password-file': file('pw', 'sesame\n') }, 1, { PVG_VNC_PASSWORD: '' }).vnc).toMatchObject({ password: 'sesame' });
    expect(parseOutputFlags({ vnc: '0' }, 1, { PVG_VNC_PASSWORD: 'opensesame' }).vnc).toMatchObject({ password: 'opensesame' });
    expect(parseOutputFlags({ vnc: '0' }, 1, {}).vnc).not.toHaveProperty('password');
  });
});

describe('--view-only', () => {
  it('makes the VNC servers and the browser viewer view-only, and needs one of them', () => {
    expect(parseOutputFlags({ vnc: '0', web: '0', 'view-only': true }, 1, {})).toMatchObject({ vnc: { viewOnly: true }, web: { viewOnly: true } });
    expect(parseOutputFlags({ vnc: '0' }, 1, {}).vnc).toMatchObject({ viewOnly: false });
    expect(() => parseOutputFlags({ 'view-only': true }, 1, {})).toThrow(new UsageError('--view-only needs --vnc PORT or --web PORT'));
  });
});
