// The control socket's request parser (vmm/control/requests.ts): QMP-shaped requests become typed
// requests; everything else becomes a typed error, never a throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { COMMAND_NAMES, parseRequest } from '../../../vmm/control/requests.js';

const errorClass = (line: string) => {
  const p = parseRequest(line);
  return 'error' in p ? p.error.errorClass : null;
};

describe('control requests', () => {
  it('parses every command with its arguments and defaults, echoing the id', () => {
    expect(parseRequest('{"execute":"stats","id":7}')).toEqual({ id: 7, request: { command: 'stats' } });
    expect(parseRequest('{"execute":"snapshot"}')).toEqual({ request: { command: 'snapshot', device: 0, display: 0, path: null } });
    expect(parseRequest('{"execute":"snapshot","arguments":{"device":1,"display":2,"path":"/tmp/a.png"},"id":"s"}')).toEqual({
      id: 's',
      request: { command: 'snapshot', device: 1, display: 2, path: '/tmp/a.png' },
    });
    expect(parseRequest('{"execute":"reset","arguments":{"clearRam":true}}')).toEqual({ request: { command: 'reset', clearRam: true } });
    expect(parseRequest('{"execute":"reset"}')).toEqual({ request: { command: 'reset', clearRam: false } });
    expect(parseRequest('{"execute":"save","arguments":{"path":"/x/y.snap"},"id":null}')).toEqual({
      id: null,
      request: { command: 'save', path: '/x/y.snap' },
    });
    expect(parseRequest('{"execute":"qmp_capabilities","arguments":{"enable":[]}}')).toEqual({ request: { command: 'qmp_capabilities', enable: [] } });
    for (const name of ['pause', 'resume', 'stop', 'status', 'commands'] as const) {
      expect(parseRequest(JSON.stringify({ execute: name }))).toEqual({ request: { command: name } });
    }
    expect(COMMAND_NAMES).toEqual(expect.arrayContaining(['stats', 'snapshot', 'pause', 'resume', 'reset', 'stop', 'save']));
  });

  it('names what is wrong with a bad request, keeping its id where it has one', () => {
    expect(errorClass('{"execute": }')).toBe('ParseError');
    expect(errorClass('')).toBe('ParseError');
    expect(errorClass('[1,2]')).toBe('InvalidRequest');
    expect(errorClass('"stats"')).toBe('InvalidRequest');
    expect(errorClass('null')).toBe('InvalidRequest');
    expect(errorClass('{"id":1}')).toBe('InvalidRequest');
    expect(errorClass('{"execute":5}')).toBe('InvalidRequest');
    expect(errorClass('{"execute":"stats","extra":1}')).toBe('InvalidRequest');
    expect(errorClass('{"execute":"stats","id":{"nested":[1]}}')).toBe('InvalidRequest');
    expect(errorClass('{"execute":"quit"}')).toBe('CommandNotFound');
    expect(errorClass('{"execute":"__proto__"}')).toBe('CommandNotFound');
    expect(errorClass('{"execute":"toString"}')).toBe('CommandNotFound');
    expect(errorClass('{"execute":"stats","arguments":[]}')).toBe('InvalidArguments');
    expect(errorClass('{"execute":"stats","arguments":{"x":1}}')).toBe('InvalidArguments');
    expect(errorClass('{"execute":"reset","arguments":{"clearRam":"yes"}}')).toBe('InvalidArguments');
    expect(errorClass('{"execute":"snapshot","arguments":{"device":-1}}')).toBe('InvalidArguments');
    expect(errorClass('{"execute":"snapshot","arguments":{"device":1.5}}')).toBe('InvalidArguments');
    expect(errorClass('{"execute":"snapshot","arguments":{"device":"0"}}')).toBe('InvalidArguments');
    expect(errorClass('{"execute":"snapshot","arguments":{"path":"relative.png"}}')).toBe('InvalidArguments');
    expect(errorClass('{"execute":"snapshot","arguments":{"path":"/a\\u0000b"}}')).toBe('InvalidArguments');
    expect(errorClass('{"execute":"snapshot","arguments":{"path":""}}')).toBe('InvalidArguments');
    expect(errorClass(`{"execute":"snapshot","arguments":{"path":"/${'a'.repeat(5000)}"}}`)).toBe('InvalidArguments');
    expect(errorClass('{"execute":"save"}')).toBe('InvalidArguments');
    expect(errorClass('{"execute":"qmp_capabilities","arguments":{"enable":"oob"}}')).toBe('InvalidArguments');
    expect(errorClass('{"execute":"snapshot","arguments":{"__proto__":{"device":1}}}')).toBe('InvalidArguments');
    expect(parseRequest('{"execute":"quit","id":"q"}')).toMatchObject({ id: 'q' });
    expect(parseRequest('{"execute":"reset","arguments":{"clearRam":0},"id":3}')).toMatchObject({ id: 3 });
  });

  it('never throws, and answers a request or an error, whatever the line', () => {
    const anyJson = fc.jsonValue().map((v) => JSON.stringify(v));
    const requestLike = fc
      .record(
        {
          execute: fc.oneof(fc.constantFrom(...COMMAND_NAMES), fc.string()),
          arguments: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
          id: fc.jsonValue(),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v));
    fc.assert(
      fc.property(fc.oneof(fc.string(), anyJson, requestLike), (line) => {
        const p = parseRequest(line);
        expect('request' in p !== 'error' in p).toBe(true);
        if ('id' in p) expect(['string', 'number', 'boolean', 'object'].includes(typeof p.id) && (typeof p.id !== 'object' || p.id === null)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes nesting as deep as a line can hold without a stack overflow', () => {
    const deep = `{"execute":"stats","id":${'['.repeat(30_000)}${']'.repeat(30_000)}}`;
    expect(errorClass(deep)).toBe('InvalidRequest');
    const deepArgs = `{"execute":"snapshot","arguments":{"path":${'['.repeat(30_000)}${']'.repeat(30_000)}}}`;
    expect(errorClass(deepArgs)).toBe('InvalidArguments');
  });
});
