// The environment for programs the tests start that are not Node running our addon (a C
// compiler, the libvncclient capture program, Chromium): without the sanitizer runtime that a
// sanitized test run (npm run test:asan) preloads for the addon. Under it they would report
// their own leaks, or not start at all.
export function foreignProcessEnv(): NodeJS.ProcessEnv {
  const { LD_PRELOAD: _preload, ...env } = process.env;
  return env;
}
