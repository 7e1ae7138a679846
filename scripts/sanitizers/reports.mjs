// Sanitizer reports in a process's output, split out and classified: whether a report involves
// our code (fails a run) or is Node's own (tolerated and counted). Used by the end-to-end run
// (scripts/e2e-sanitizers.mjs) and the sanitized test suite (scripts/test-asan.mjs);
// docs/hardening.md, "Sanitizers", says why each rule is what it is.
import path from 'node:path';

// Frames of ours: the addons' modules (pvg_native and pvg_native_testing), our sources, our namespace, node-addon-api compiled into it.
export const OURS = /pvg_native(_testing)?\.node|\/native\/(src|test|testing|fuzz|guest)\/|\bpvg::|node-addon-api|\bNapi::/;
// Modules a tolerated report may name: Node (V8, libuv, OpenSSL are linked into it), the
// sanitizer runtime and the C/C++ runtimes; RUNTIME_MODULES are the latter (skipped to find the
// code that made an access: memcpy, free, strdup, pthread_* are not who raced).
const RUNTIME_MODULES =
  /^(libtsan\.so[.\d]*|libasan\.so[.\d]*|libubsan\.so[.\d]*|libc\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libm\.so\.6|ld-linux-x86-64\.so\.2)$/;
const FOREIGN_MODULES = new RegExp(`^node$|${RUNTIME_MODULES.source}`);

// Where a report happened, for the tally: the function of its SUMMARY line (or of a leak's first
// frame past the allocator), without arguments or addresses.
export function where(body) {
  const summary = /^SUMMARY: \w+Sanitizer: .*? in (.+)$/m.exec(body)?.[1] ?? / #1 0x[0-9a-f]+ in (.+)$/m.exec(body)?.[1] ?? '?';
  return summary
    .replace(/\s*\(\/[^)]*\+0x[0-9a-f]+\)$/, '')
    .replace(/\(.*$/, '')
    .replace(/ \S+:\d+(:\d+)?$/, '')
    .trim();
}

// The module of a frame line ("... (pvg_native.node+0x25c0e)"), or '' if it names none.
function frameModule(frame) {
  const m = /\(([^()\s]+?)\+0x[0-9a-f]+\)\s*$/.exec(frame);
  return m ? path.basename(m[1]) : '';
}

// Classifies a TSan data race by its stacks: the two accesses and the racy memory's location.
// In each, the innermost frame outside the sanitizer and C/C++ runtimes is the code that made the
// access (or the allocation); if it is ours anywhere, the race is ours. A race made by Node's code
// on Node's memory is Node's, even when our frames appear further down (a call of ours into
// Node-API during which V8 did the racing work): tolerated, but told apart ('node-via-ours'). An
// access whose stack TSan could not restore ("[failed to restore the stack]") is Node's only if
// the memory is a heap block Node's code allocated, or Node's code is freeing it; otherwise the
// race is 'unknown' (fails).
export function classifyRace(body) {
  const sections = [];
  for (const line of body.split('\n')) {
    if (/^ {2}\S/.test(line)) sections.push({ head: line, frames: [] });
    else if (/^ {4}#\d+ /.test(line) && sections.length > 0) sections.at(-1).frames.push(line);
  }
  let deeper = false,
    unrestored = false,
    nodeMemory = false;
  for (const { head, frames } of sections) {
    const kind = /^ {2}(Previous )?(atomic )?(read|write)\b/i.test(head) ? 'access' : /^ {2}Location is/.test(head) ? 'location' : 'other';
    if (kind === 'other') continue; // threads' creation, mutexes: who made them is not who raced
    if (frames.length === 0) {
      if (OURS.test(head)) return 'ours'; // a global of ours
      if (kind === 'access') unrestored = true;
      continue;
    }
    const inner = frames.find((f) => !RUNTIME_MODULES.test(frameModule(f)));
    if (inner === undefined) return 'unknown'; // only runtime frames: cannot tell whose
    if (OURS.test(inner)) return 'ours';
    if (!FOREIGN_MODULES.test(frameModule(inner))) return 'unknown';
    if (kind === 'location' && /heap block/.test(head)) nodeMemory = true;
    // Node's code freeing a block (operator delete / free under a frame of Node's) owns it: V8
    // deleting its own objects races its own uninstrumented writes, whose stack is often lost.
    if (kind === 'access' && /\b(operator delete|free)\b/.test(frames[0] ?? '') && FOREIGN_MODULES.test(frameModule(inner))) nodeMemory = true;
    if (frames.some((f) => OURS.test(f))) deeper = true;
  }
  if (unrestored && !nodeMemory) return 'unknown';
  return deeper ? 'node-via-ours' : 'node';
}

// A leak with a frame of ours is ours, unless V8's internals allocated the block while our code
// called into V8 (its heap's slot sets and remembered sets, written when we create functions or
// set properties): V8 owns those and does not free them at exit. A block that Node-API allocated
// for us (a reference, a wrap: napi_* / v8impl, not v8::internal) is ours to free.
export function classifyLeak(body) {
  const frames = body.split('\n').filter((l) => /^ {4}#\d+ /.test(l));
  // ASan names its own frames by source file (…/libsanitizer/…), not by module.
  const inner = frames.find((f) => !RUNTIME_MODULES.test(frameModule(f)) && !/\/libsanitizer\//.test(f));
  if (inner !== undefined && frameModule(inner) === 'node' && / in v8::internal::/.test(inner)) return 'node-via-ours';
  return 'ours';
}

// Splits the output into sanitizer reports, each classified: 'ours' (fails the run), 'node' or
// 'node-via-ours' (tolerated), 'unknown' (fails the run: neither ours nor only Node's).
export function sanitizerReports(text) {
  const reports = [];
  const lines = text.split('\n');
  const classify = (kind, body) => {
    const modules = [...body.matchAll(/\(([^()\s]+?)\+0x[0-9a-f]+\)/g)].map((m) => path.basename(m[1]));
    let verdict = 'node';
    if (kind === 'tsan data race') verdict = classifyRace(body);
    else if (kind === 'leak' && OURS.test(body)) verdict = classifyLeak(body);
    else if (OURS.test(body))
      verdict = 'ours'; // thread leaks, mutex misuse: any frame of ours
    else if (modules.length === 0 || !modules.every((m) => FOREIGN_MODULES.test(m))) verdict = 'unknown';
    reports.push({ kind, verdict, where: where(body), body });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^WARNING: ThreadSanitizer: /.test(line)) {
      // ==================\nWARNING: ThreadSanitizer: KIND ...\n ... SUMMARY ...\n==================
      let j = i + 1;
      while (j < lines.length && lines[j] !== '==================') j++;
      classify(`tsan ${line.replace(/^WARNING: ThreadSanitizer: /, '').replace(/\s*\(pid=\d+\)/, '')}`, lines.slice(i, j).join('\n'));
      i = j;
    } else if (/ERROR: LeakSanitizer: detected memory leaks/.test(line)) {
      // One report per leak ("Direct leak of ..." up to the next blank line), up to the SUMMARY.
      let j = i + 1;
      for (; j < lines.length && !/^SUMMARY: /.test(lines[j]); j++) {
        if (!/^(Direct|Indirect) leak of /.test(lines[j])) continue;
        let k = j + 1;
        while (k < lines.length && lines[k].trim() !== '') k++;
        classify('leak', lines.slice(j, k).join('\n'));
        j = k;
      }
      i = j;
    } else if (/ERROR: AddressSanitizer: |runtime error: |(ERROR|FATAL): ThreadSanitizer|Sanitizer CHECK failed|AddressSanitizer: nested bug/.test(line)) {
      // A memory error, undefined behaviour, a sanitizer failure: never tolerated.
      let j = i + 1;
      while (j < lines.length && !/^SUMMARY: /.test(lines[j]) && j < i + 200) j++;
      const body = lines.slice(i, j + 1).join('\n');
      reports.push({ kind: 'error', verdict: 'ours', where: line.trim(), body });
      i = j;
    }
  }
  return reports;
}
