// comlink endpoints over worker_threads MessagePorts. The main-side one also nudges the actor's
// mailbox (attention word + doorbell), so an actor parked in its futex, or about to park, yields
// to its event loop and serves the control call.
import type { MessagePort } from 'node:worker_threads';

import type { Endpoint } from 'comlink';

import type { Mailbox } from '../../shared/mailbox/mailbox.js';

type Listener = Parameters<Endpoint['addEventListener']>[1];
type Handler = (data: unknown) => void;

export function portEndpoint(port: MessagePort, afterPost?: () => void): Endpoint {
  const handlers = new WeakMap<object, Handler>();
  return {
    postMessage(message: unknown, transfer?: Parameters<Endpoint['postMessage']>[1]) {
      port.postMessage(message, transfer);
      afterPost?.();
    },
    addEventListener(_type: string, listener: Listener) {
      const handler: Handler = (data) => {
        const event = { data } as MessageEvent;
        if (typeof listener === 'function') listener(event);
        else listener.handleEvent(event);
      };
      handlers.set(listener as object, handler);
      port.on('message', handler);
    },
    removeEventListener(_type: string, listener: Listener) {
      const handler = handlers.get(listener as object);
      if (handler) port.off('message', handler);
      handlers.delete(listener as object);
    },
    start: () => port.start(),
  };
}

export function ringingEndpoint(port: MessagePort, mailbox: Mailbox): Endpoint {
  return portEndpoint(port, () => mailbox.nudge());
}
