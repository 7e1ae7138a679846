// noVNC is served from its own npm package, never from a CDN: the page must work with no network
// beyond this server. Only regular files inside that package directory, with a known type, are
// served; anything else (traversal, symlinks leading out, directories, unknown types) is "not found".
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, resolve, isAbsolute } from 'node:path';

/** What the page needs: noVNC is ES modules (core/, vendor/pako/); no other type is served. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

const PACKAGE = '@novnc/novnc';

/**
 * The real path of the @novnc/novnc package directory, resolved the way Node resolves it from
 * this module (so it works from the sources, from dist/, and in a hoisted or nested node_modules).
 */
export function novncRoot(): string {
  // The package's exports map names only core/rfb.js; walk up from it to its package.json.
  let dir = dirname(createRequire(import.meta.url).resolve(PACKAGE));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE) {
      return realpathSync(dir);
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`web viewer: cannot find the ${PACKAGE} package directory`);
    dir = up;
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * The file for `rel` (a decoded URL path below the package root), or null when it must not be
 * served. `root` must be a real path (novncRoot() is).
 */
export async function packageFile(root: string, rel: string): Promise<{ file: string; type: string } | null> {
  if (rel.includes('\0') || rel.includes('\\')) return null;
  const type = CONTENT_TYPES[extname(rel).toLowerCase()];
  if (!type) return null;
  const candidate = resolve(root, rel);
  if (!inside(root, candidate)) return null;
  try {
    // A symlink inside the package could still point out of it: check where it really is.
    const real = await realpath(candidate);
    if (!inside(root, real) || !(await stat(real)).isFile()) return null;
    return { file: real, type };
  } catch {
    return null;
  }
}
