// Shared-memory layouts that JavaScript and C++ both read (docs/shared-memory.md): mailboxes,
// reply slots, trace rings, display surfaces, posted-write completions and vCPU interrupt state.
import type { Unit } from './types.js';

const hex8 = { hex: 8 } as const;
const word = (name: string, value: number, doc?: string) => ({ name, value, ...(doc ? { doc } : {}) });

export const mailboxLayout: Unit = {
  name: 'mailbox-layout',
  doc: 'Word offsets of a mailbox SAB: a 128-word header, then `capacity` records of 16 words (docs/shared-memory.md).',
  ts: 'abi/generated/mailbox-layout.ts',
  cpp: { path: 'native/src/abi/mailbox_layout.h', namespace: 'pvg::mailbox' },
  constants: [
    { ts: 'MAILBOX_MAGIC', cpp: 'kMagic', cppType: 'int32_t', value: 0x4d424f58, radix: hex8 },
    { ts: 'MAILBOX_HEADER_WORDS', cpp: 'kHeaderWords', value: 128 },
    { ts: 'RECORD_WORDS', cpp: 'kRecordWords', value: 16 },
    { ts: 'RECORD_ARGS', cpp: 'kRecordArgs', value: 14, doc: 'Argument words per record (words 2..15; word 0 the sequence, 1 the kind).' },
    { ts: 'DOORBELL_RUNNING', cpp: 'kDoorbellRunning', cppType: 'int32_t', value: 0 },
    { ts: 'DOORBELL_PARKED', cpp: 'kDoorbellParked', cppType: 'int32_t', value: 1 },
  ],
  enums: [
    {
      ts: 'MailboxWord',
      cpp: { constants: (m) => `k${m}Word`, type: 'uint32_t' },
      members: [
        word('Magic', 0),
        word('Capacity', 1),
        word('RecordWords', 2),
        word('Closed', 3),
        word('CloseReason', 4),
        word('ParkMode', 5, 'How sleepers park (ParkMode); a native thread refuses to attach to an Atomics-mode mailbox.'),
        word('Attention', 6, 'Bumped (then the doorbell rung) when a control-plane message waits for a JS consumer; native code ignores it.'),
        word('Tail', 16),
        word('Head', 32),
        word('DequeuedLo', 33),
        word('DequeuedHi', 34),
        word('ConsumerParks', 35),
        word('DoorbellState', 48),
        word('EventLoopFd', 49, "Park mode EventLoop: the eventfd that wakes the consumer's event loop, plus 1 (0: it has none; docs/doorbells.md)."),
        word('EventLoopRingers', 50, 'Park mode EventLoop: producers writing to that eventfd now; the consumer closes it only once this is 0.'),
        word('NotFull', 64),
        word('ProducersWaiting', 65),
        word('ProducerWaits', 66),
      ],
    },
    {
      ts: 'ParkMode',
      cpp: { constants: (m) => `kParkMode${m}`, type: 'int32_t' },
      doc: 'Word ParkMode: 0 futex (native threads can wake the sleeper), 1 V8 Atomics.wait (JS-only pairs), 2 an event loop woken through an eventfd named in word EventLoopFd (any thread can wake it; docs/doorbells.md).',
      members: [word('Futex', 0), word('Atomics', 1), word('EventLoop', 2)],
    },
    {
      ts: 'CloseReason',
      cpp: { constants: (m) => `kClose${m}`, type: 'int32_t' },
      doc: 'Close reasons written into word CloseReason.',
      members: [word('Shutdown', 1), word('ActorFailed', 2)],
    },
  ],
};

export const replyLayout: Unit = {
  name: 'reply-layout',
  doc: 'Word offsets of a reply-slot table: a header slot, then slots of a 64-byte header and a payload (docs/shared-memory.md).',
  ts: 'abi/generated/reply-layout.ts',
  cpp: { path: 'native/src/abi/reply_layout.h', namespace: 'pvg::reply' },
  constants: [
    { ts: 'REPLY_MAGIC', cpp: 'kMagic', cppType: 'int32_t', value: 0x52504c59, radix: hex8 },
    { ts: 'REPLY_HEADER_BYTES', cpp: 'kHeaderBytes', value: 64 },
    { ts: 'REPLY_VALUE_WORDS', cpp: 'kValueWords', value: 12 },
  ],
  enums: [
    {
      ts: 'ReplyWord',
      cpp: { constants: (m) => `k${m}Word`, type: 'uint32_t' },
      members: [word('State', 0), word('Parked', 1), word('ErrorCode', 2), word('RequestId', 3), word('Values', 4)],
    },
    {
      ts: 'ReplyState',
      cpp: { constants: (m) => `k${m}`, type: 'int32_t' },
      members: [
        word('Idle', 0),
        word('Pending', 1),
        word('Replied', 2),
        word('Error', 3),
        word('Claimed', 4, 'A responder holds the slot (CAS from pending) while it checks the id and writes the values; a stale one puts it back.'),
      ],
    },
    {
      ts: 'ReplyTableWord',
      cpp: { constants: (m) => `kTable${m}Word`, type: 'uint32_t' },
      members: [word('Magic', 0), word('SlotCount', 1), word('PayloadBytes', 2)],
    },
    {
      ts: 'ReplyErrorCode',
      cpp: { enum: 'ErrorCode', prefix: '', type: 'int32_t', scoped: true },
      doc: 'What a failed slot carries in word ErrorCode.',
      members: [
        word('ActorDied', 1, 'The responder (or an actor on the path) died; the supervisor failed every pending slot.'),
        word('Shutdown', 2, 'The VM is shutting down.'),
        word('Refused', 3, 'The request itself was refused (bad arguments, guest error); details are request-specific.'),
        word('Watchdog', 4, 'An engine watchdog gave up on the request.'),
      ],
    },
  ],
};

export const traceLayout: Unit = {
  name: 'trace-layout',
  doc: 'Byte layout of a trace-ring set: a 64-byte set header, then rings of a 64-byte header and 48-byte events (docs/shared-memory.md).',
  ts: 'abi/generated/trace-layout.ts',
  cpp: { path: 'native/src/abi/trace_layout.h', namespace: 'pvg::trace' },
  constants: [
    { ts: 'TRACE_MAGIC', cpp: 'kMagic', cppType: 'int32_t', value: 0x54524143, radix: hex8 },
    { ts: 'TRACE_SET_HEADER_BYTES', cpp: 'kSetHeaderBytes', value: 64 },
    { ts: 'TRACE_RING_HEADER_BYTES', cpp: 'kRingHeaderBytes', value: 64 },
    { ts: 'TRACE_EVENT_BYTES', cpp: 'kEventBytes', value: 48 },
  ],
  enums: [
    {
      ts: 'TraceSetWord',
      cpp: { constants: (m) => `kSet${m}Word`, type: 'uint32_t' },
      members: [
        word('Magic', 0),
        word('RingCount', 1),
        word('EventsPerRing', 2),
        word('Paused', 3, 'Non-zero: every writer drops its events (Vm.stopTrace); zero (as created): they record.'),
      ],
    },
    {
      ts: 'TraceRingWord',
      cpp: { constants: (m) => `kRing${m}Word`, type: 'uint32_t' },
      members: [word('Written', 0), word('ThreadId', 1), word('DroppedOnRead', 2)],
    },
    {
      ts: 'TraceEventByte',
      cpp: { constants: (m) => `kEvent${m.replace(/^Event/, '')}Byte`, type: 'uint32_t' },
      doc: 'Offsets inside one event, in bytes.',
      members: [
        word('Timestamp', 0),
        word('Duration', 8),
        word('Arg0', 16),
        word('Arg1', 24),
        word('Arg2', 32),
        word('Sequence', 40),
        word('EventId', 44),
        word('Phase', 46),
      ],
    },
    {
      ts: 'TracePhase',
      cpp: { enum: 'Phase', prefix: '', type: 'uint8_t', scoped: true },
      members: [
        word('Begin', 1),
        word('End', 2),
        word('Complete', 3),
        word('Instant', 4),
        word('Counter', 5),
        word('FlowStart', 6),
        word('FlowEnd', 7),
        word('FlowStep', 8),
      ],
    },
  ],
};

export const surfaceLayout: Unit = {
  name: 'surface-layout',
  doc:
    "Display surfaces in a SAB, where the engine's encodeCurrentFrame writes and the compositor reads: a 512-byte header, " +
    'then ARGB8888 pixels (`stride` bytes per row); a pool holds `count` surfaces of equal size.',
  ts: 'abi/generated/surface-layout.ts',
  cpp: { path: 'native/src/abi/surface_layout.h', namespace: 'pvg::surface' },
  constants: [
    { ts: 'SURFACE_HEADER_BYTES', cpp: 'kHeaderBytes', value: 512 },
    { ts: 'SURFACE_MAX_DAMAGE', cpp: 'kMaxDamage', value: 16 },
  ],
  enums: [
    {
      ts: 'SurfaceWord',
      cpp: { constants: (m) => `k${m}Word`, type: 'uint32_t' },
      members: [
        word('Generation', 0, 'The mode generation the pixels belong to.'),
        word('Width', 1),
        word('Height', 2),
        word('Stride', 3, 'Bytes per row.'),
        word('FrameSeq', 4, 'The presented frame this encode captured.'),
        word('DamageCount', 5, 'Rectangles below; 0 = nothing changed.'),
        word('Damage', 8, 'Up to SURFACE_MAX_DAMAGE × (x, y, w, h).'),
      ],
    },
  ],
};

export const completionLayout: Unit = {
  name: 'completion-layout',
  doc:
    'Posted MMIO writes: per-vCPU completion counters in a SAB, one cache line each. A vCPU counts the writes it issued; a device ' +
    'bumps Completed when it has carried one out and wakes the vCPU if it announced (Waiting) that it waits.',
  ts: 'abi/generated/completion-layout.ts',
  cpp: { path: 'native/src/abi/mmio_completion_layout.h', namespace: 'pvg::mmio' },
  constants: [{ ts: 'COMPLETION_WORDS_PER_VCPU', cpp: 'kWordsPerVcpu', value: 16 }],
  enums: [{ ts: 'CompletionWord', cpp: { constants: (m) => `k${m}Word`, type: 'uint32_t' }, members: [word('Completed', 0), word('Waiting', 1)] }],
};

export const vcpuIrqLayout: Unit = {
  name: 'vcpu-irq-layout',
  doc: "Word offsets of a vCPU's interrupt state (one cache line); docs/interrupts.md describes each word and the halt/deliver protocol.",
  ts: 'abi/generated/vcpu-irq-layout.ts',
  cpp: { path: 'native/src/abi/vcpu_irq_layout.h', namespace: 'pvg::irq' },
  constants: [
    { ts: 'VCPU_IRQ_MAGIC', cpp: 'kMagic', cppType: 'int32_t', value: 0x56495251, radix: hex8, doc: '"VIRQ"' },
    { ts: 'VCPU_IRQ_PENDING_WORDS', cpp: 'kPendingWords', value: 8 },
    { ts: 'VCPU_IRQ_WORDS', cpp: 'kWords', value: 16 },
    { ts: 'IRQ_VECTORS', value: 256 },
  ],
  enums: [
    {
      ts: 'VcpuIrqWord',
      cpp: { constants: (m) => `k${m}Word`, type: 'uint32_t' },
      members: [
        word('Sequence', 0, 'Bumped on every delivery and stop request: the futex word a halted vCPU sleeps on.'),
        word('Parked', 1, 'One while the vCPU sleeps (or is about to); deliverers wake it only then.'),
        word('Stop', 2, 'One when someone asked the vCPU to leave its halt loop.'),
        word('Magic', 3),
        word('Wakes', 4, 'Futex wakes issued by deliverers (count).'),
        word('Parks', 5, 'Times the vCPU went to sleep (count).'),
        word('KickThread', 6, "A hardware vCPU's kernel thread id while it is inside KVM_RUN, else 0: deliverers kick it."),
        word('Pause', 7, 'One while the VM asks the vCPU to stop at its next step boundary (vm.pause(), docs/lifecycle.md).'),
        word('Pending', 8, 'Pending vector bitmap: vector v is bit (v & 31) of word Pending + (v >> 5).'),
      ],
    },
  ],
};

export const interruptTableLayout: Unit = {
  name: 'interrupt-table-layout',
  doc:
    'The interrupt table every interrupt source shares (shared/irq/interrupt-table.ts; docs/interrupts.md): table words, then ' +
    "LINE_WORDS per line from LINES_BASE, then per vCPU and vector the deliveries not yet EOI'd (VECTORS words per vCPU). " +
    'Every update is an atomic read-modify-write; JavaScript sources and the engine (under the actor model) use it alike.',
  ts: 'abi/generated/interrupt-table-layout.ts',
  cpp: { path: 'native/src/abi/interrupt_table_layout.h', namespace: 'pvg::irqtable' },
  constants: [
    { ts: 'INTERRUPT_TABLE_MAGIC', cpp: 'kMagic', cppType: 'int32_t', value: 0x49525154, radix: hex8, doc: '"IRQT"' },
    { ts: 'INTERRUPT_TABLE_LINES_BASE', cpp: 'kLinesBase', value: 16, doc: "The first line's first word." },
    { ts: 'INTERRUPT_TABLE_LINE_WORDS', cpp: 'kLineWords', value: 8 },
    { ts: 'INTERRUPT_TABLE_VECTORS', cpp: 'kVectors', value: 256, doc: 'Outstanding-delivery words per vCPU, one per vector.' },
    { ts: 'FIRST_VALID_VECTOR', cpp: 'kFirstValidVector', value: 16, doc: 'x86 reserves vectors 0..15 for exceptions: an interrupt there is invalid.' },
  ],
  enums: [
    {
      ts: 'InterruptTableWord',
      cpp: { constants: (m) => `k${m}Word`, type: 'uint32_t' },
      doc: 'Table-wide words: the header, then the counters.',
      members: [
        word('Magic', 0),
        word('Lines', 1),
        word('Vcpus', 2),
        word('Msis', 4),
        word('MsiDeliveries', 5),
        word('InvalidMsis', 6),
        word('UnknownTargets', 7),
        word('Coalesced', 8),
        word('Eois', 9),
        word('SpuriousEois', 10),
        word('InvalidLines', 11),
      ],
    },
    {
      ts: 'LineWord',
      cpp: { constants: (m) => `kLine${m}Word`, type: 'uint32_t' },
      doc: "A line's words, from its first.",
      members: [
        word('State', 0, 'LineState bits.'),
        word('Route', 1, 'vcpu << 8 | vector; fixed from the configuration.'),
        word('Trigger', 2, '0 edge, 1 level; fixed.'),
        word('Pulses', 3),
        word('Assertions', 4),
        word('Deliveries', 5),
        word('MaskedLatched', 6),
        word('ConfiguredMask', 7, 'The configured mask, which a reset restores.'),
      ],
    },
    {
      ts: 'LineState',
      cpp: { constants: (m) => `kLine${m}`, type: 'int32_t' },
      doc: "Bits of a line's State word.",
      members: [
        word('Masked', 1),
        word('Latched', 2, 'Edge: a pulse arrived while masked and goes out at the unmask.'),
        word('Level', 4, 'Level: the input is high (the controller actor only).'),
        word('InService', 8, "Level: delivered and not yet EOI'd (x86's remote IRR; the controller actor only)."),
      ],
    },
  ],
};

export const irqRouteLayout: Unit = {
  name: 'irq-route-layout',
  doc:
    'A device\'s interrupt route as its engine reads it under the actor model (docs/interrupts.md, "The engine raises its own"): ' +
    "the PCI variant's MSI capability, published by the device actor under a seqlock whenever the guest changes config space, and " +
    'the counts of the interrupts the engine raised itself. One cache line; the device actor is the only writer of the MSI words, ' +
    'the engine of the counters.',
  ts: 'abi/generated/irq-route-layout.ts',
  cpp: { path: 'native/src/abi/irq_route_layout.h', namespace: 'pvg::irqroute' },
  constants: [
    { ts: 'IRQ_ROUTE_MAGIC', cpp: 'kMagic', cppType: 'int32_t', value: 0x49525452, radix: hex8, doc: '"IRTR"' },
    { ts: 'IRQ_ROUTE_WORDS', cpp: 'kWords', value: 16 },
  ],
  enums: [
    {
      ts: 'IrqRouteWord',
      cpp: { constants: (m) => `k${m}Word`, type: 'uint32_t' },
      members: [
        word('Magic', 0),
        word('Sequence', 1, 'Seqlock: odd while the device actor rewrites the MSI words; a reader retries until it reads one even value around them.'),
        word('MsiEnabled', 2),
        word('MsiAddressLo', 3),
        word('MsiAddressHi', 4),
        word('MsiData', 5, 'Message Data (16 bits).'),
        word('MsiVectors', 6, 'Vectors the guest enabled: 1, 2, 4, 8, 16 or 32.'),
        word('MsiMask', 7, 'Per-vector mask bits.'),
        word('Raised', 8, 'Raises the engine routed itself (count).'),
        word('Delivered', 9, 'Of those, delivered: an MSI sent or an edge pulsed (a masked edge line latches it).'),
        word('DroppedWhileDisabled', 10, 'Of those, MSIs raised while the guest had MSI disabled.'),
        word('Deferred', 11, "Raises handed to the device actor instead (a masked MSI vector, whose pending bit is the actor's; a level line)."),
      ],
    },
  ],
};
