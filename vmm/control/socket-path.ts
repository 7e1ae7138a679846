// Binds a control server to a Unix socket path with owner-only permissions and without a moment
// where the socket is reachable with looser ones: it binds in a fresh private directory (mode
// 0700) beside the target, chmods the socket 0600, then hard-links it into place (link() fails if
// anything took the path meanwhile, where rename() would replace it). A path that is there
// already is replaced only if it is a socket that nobody answers on (a stale one from a VM that
// died); anything else is refused.
import { lstat, link, mkdtemp, rmdir, unlink, chmod } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

import { ControlSocketError } from './errors.js';

/** sockaddr_un's sun_path is 108 bytes on Linux, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = 107;

/** Which socket file is ours (close() removes the path only if it still is). */
export interface BoundSocket {
  path: string;
  dev: number;
  ino: number;
}

export async function listenPrivate(server: net.Server, target: string): Promise<BoundSocket> {
  const file = path.resolve(target);
  const dir = path.dirname(file);
  // The private directory's name: `.pvg` and six random characters (mkdtemp).
  const bindBytes = Buffer.byteLength(path.join(dir, '.pvgXXXXXX', 's'));
  if (Buffer.byteLength(file) > MAX_SOCKET_PATH_BYTES || bindBytes > MAX_SOCKET_PATH_BYTES) {
    throw new ControlSocketError(
      `${file}: a Unix socket path is at most ${MAX_SOCKET_PATH_BYTES} bytes, and binding privately in ${dir} needs ${bindBytes}; use a shorter path`,
    );
  }
  await removeStale(file);
  let privateDir: string;
  try {
    privateDir = await mkdtemp(path.join(dir, '.pvg'));
  } catch (err) {
    throw new ControlSocketError(`${file}: cannot make a private directory in ${dir}: ${(err as Error).message}`);
  }
  const bound = path.join(privateDir, 's');
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(bound, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await chmod(bound, 0o600);
    try {
      await link(bound, file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ControlSocketError(
        code === 'EEXIST' ? `${file}: something took the path while the socket was being bound` : `${file}: ${(err as Error).message}`,
      );
    }
    const st = await lstat(file);
    return { path: file, dev: st.dev, ino: st.ino };
  } catch (err) {
    if (server.listening) await new Promise((r) => server.close(r));
    throw err instanceof ControlSocketError ? err : new ControlSocketError(`${file}: cannot listen: ${(err as Error).message}`);
  } finally {
    await unlink(bound).catch(() => {});
    await rmdir(privateDir).catch(() => {});
  }
}

/** Removes the socket file if it is still the one listenPrivate made. */
export async function removeBound(bound: BoundSocket): Promise<void> {
  try {
    const st = await lstat(bound.path);
    if (st.dev === bound.dev && st.ino === bound.ino) await unlink(bound.path);
  } catch {
    // Gone already: nothing to remove.
  }
}

async function removeStale(file: string): Promise<void> {
  let st;
  try {
    st = await lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ControlSocketError(`${file}: ${(err as Error).message}`);
  }
  if (!st.isSocket()) throw new ControlSocketError(`${file} exists and is not a socket: not replacing it`);
  const answered = await new Promise<boolean | Error>((resolve) => {
    const probe = net.connect(file);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? false : err));
  });
  if (answered === true) throw new ControlSocketError(`${file} is a socket something listens on: not replacing it`);
  if (answered instanceof Error) throw new ControlSocketError(`${file}: cannot tell whether the socket is stale: ${answered.message}`);
  await unlink(file); // a socket nobody listens on: left by a VM that died
}
