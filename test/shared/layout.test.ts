// The TypeScript and C++ sides read the same SAB words: their layout constants must agree.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import * as irq from '../../shared/irq/layout.js';
import * as mailbox from '../../shared/mailbox/layout.js';
import { packageRoot } from '../../shared/package-root.js';
import * as reply from '../../shared/reply/layout.js';
import { TRACE_EVENTS } from '../../shared/trace/events.js';
import * as trace from '../../shared/trace/layout.js';

function cppConstants(file: string): Map<string, number> {
  const text = readFileSync(path.join(packageRoot, 'native', 'src', 'core', file), 'utf8');
  const out = new Map<string, number>();
  for (const m of text.matchAll(/constexpr\s+\w+\s+(k\w+)\s*=\s*(0x[0-9a-fA-F]+|\d+)\s*;/g)) out.set(m[1]!, Number(m[2]));
  for (const m of text.matchAll(/^\s*(\w+)\s*=\s*(\d+),?\s*$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

describe('SAB layouts agree between TypeScript and C++', () => {
  it('mailbox', () => {
    const c = cppConstants('mailbox_layout.h');
    expect({
      kMagic: mailbox.MAILBOX_MAGIC,
      kMagicWord: mailbox.MailboxWord.Magic,
      kCapacityWord: mailbox.MailboxWord.Capacity,
      kRecordWordsWord: mailbox.MailboxWord.RecordWords,
      kClosedWord: mailbox.MailboxWord.Closed,
      kCloseReasonWord: mailbox.MailboxWord.CloseReason,
      kParkModeWord: mailbox.MailboxWord.ParkMode,
      kAttentionWord: mailbox.MailboxWord.Attention,
      kTailWord: mailbox.MailboxWord.Tail,
      kHeadWord: mailbox.MailboxWord.Head,
      kDequeuedLoWord: mailbox.MailboxWord.DequeuedLo,
      kDequeuedHiWord: mailbox.MailboxWord.DequeuedHi,
      kConsumerParksWord: mailbox.MailboxWord.ConsumerParks,
      kDoorbellStateWord: mailbox.MailboxWord.DoorbellState,
      kNotFullWord: mailbox.MailboxWord.NotFull,
      kProducersWaitingWord: mailbox.MailboxWord.ProducersWaiting,
      kProducerWaitsWord: mailbox.MailboxWord.ProducerWaits,
      kHeaderWords: mailbox.MAILBOX_HEADER_WORDS,
      kRecordWords: mailbox.RECORD_WORDS,
      kDoorbellRunning: mailbox.DOORBELL_RUNNING,
      kDoorbellParked: mailbox.DOORBELL_PARKED,
      kParkModeFutex: mailbox.ParkMode.Futex,
      kParkModeAtomics: mailbox.ParkMode.Atomics,
    }).toEqual(Object.fromEntries([...c].filter(([k]) => k !== 'kRecordArgs')));
  });

  it('reply slots', () => {
    const c = cppConstants('reply_layout.h');
    expect({
      kMagic: reply.REPLY_MAGIC,
      kHeaderBytes: reply.REPLY_HEADER_BYTES,
      kStateWord: reply.ReplyWord.State,
      kParkedWord: reply.ReplyWord.Parked,
      kErrorCodeWord: reply.ReplyWord.ErrorCode,
      kRequestIdWord: reply.ReplyWord.RequestId,
      kValuesWord: reply.ReplyWord.Values,
      kValueWords: reply.REPLY_VALUE_WORDS,
      kIdle: reply.ReplyState.Idle,
      kPending: reply.ReplyState.Pending,
      kReplied: reply.ReplyState.Replied,
      kError: reply.ReplyState.Error,
      kClaimed: reply.ReplyState.Claimed,
      kTableMagicWord: reply.ReplyTableWord.Magic,
      kTableSlotCountWord: reply.ReplyTableWord.SlotCount,
      kTablePayloadBytesWord: reply.ReplyTableWord.PayloadBytes,
    }).toEqual(Object.fromEntries(c));
  });

  it('trace rings and event ids', () => {
    const c = cppConstants('trace_layout.h');
    expect({
      kMagic: trace.TRACE_MAGIC,
      kSetHeaderBytes: trace.TRACE_SET_HEADER_BYTES,
      kRingHeaderBytes: trace.TRACE_RING_HEADER_BYTES,
      kEventBytes: trace.TRACE_EVENT_BYTES,
      kSetMagicWord: trace.TraceSetWord.Magic,
      kSetRingCountWord: trace.TraceSetWord.RingCount,
      kSetEventsPerRingWord: trace.TraceSetWord.EventsPerRing,
      kSetPausedWord: trace.TraceSetWord.Paused,
      kRingWrittenWord: trace.TraceRingWord.Written,
      kRingThreadIdWord: trace.TraceRingWord.ThreadId,
      kRingDroppedOnReadWord: trace.TraceRingWord.DroppedOnRead,
      kEventTimestampByte: trace.TraceEventByte.Timestamp,
      kEventDurationByte: trace.TraceEventByte.Duration,
      kEventArg0Byte: trace.TraceEventByte.Arg0,
      kEventArg1Byte: trace.TraceEventByte.Arg1,
      kEventArg2Byte: trace.TraceEventByte.Arg2,
      kEventSequenceByte: trace.TraceEventByte.Sequence,
      kEventIdByte: trace.TraceEventByte.EventId,
      kEventPhaseByte: trace.TraceEventByte.Phase,
    }).toEqual(Object.fromEntries(c));
    expect(Object.fromEntries(cppConstants('trace_events.h'))).toEqual(TRACE_EVENTS);
  });

  it('vCPU interrupt state', () => {
    const c = cppConstants('vcpu_irq_layout.h');
    expect({
      kMagic: irq.VCPU_IRQ_MAGIC,
      kSequenceWord: irq.VcpuIrqWord.Sequence,
      kParkedWord: irq.VcpuIrqWord.Parked,
      kStopWord: irq.VcpuIrqWord.Stop,
      kMagicWord: irq.VcpuIrqWord.Magic,
      kWakesWord: irq.VcpuIrqWord.Wakes,
      kParksWord: irq.VcpuIrqWord.Parks,
      kKickThreadWord: irq.VcpuIrqWord.KickThread,
      kPauseWord: irq.VcpuIrqWord.Pause,
      kPendingWord: irq.VcpuIrqWord.Pending,
      kPendingWords: irq.VCPU_IRQ_PENDING_WORDS,
      kWords: irq.VCPU_IRQ_WORDS,
    }).toEqual(Object.fromEntries(c));
  });
});

describe('engine protocol and records agree between TypeScript and C++', () => {
  it('registers, opcodes and ids', async () => {
    const proto = await import('../../actors/vcpu/guest/protocol.js');
    const text = readFileSync(path.join(packageRoot, 'native', 'src', 'engine', 'protocol.h'), 'utf8');
    const cpp = new Map<string, number>();
    for (const m of text.matchAll(/(\w+)\s*=\s*(0x[0-9a-fA-F]+|\d+)\s*[,;]/g)) cpp.set(m[1]!, Number(m[2]));
    expect(cpp.get('kId')).toBe(proto.PVG_ID);
    expect(cpp.get('kVersion')).toBe(proto.PVG_VERSION);
    expect(cpp.get('kResetMagic')).toBe(proto.RESET_MAGIC);
    expect(cpp.get('kIosfcId')).toBe(proto.IOSFC_ID);
    expect(cpp.get('kRingHeaderBytes')).toBe(proto.RING_HEADER_BYTES);
    expect(cpp.get('kPixelFormatBGRA')).toBe(proto.PIXEL_FORMAT_BGRA);
    const regs: Record<string, number> = {
      Id: proto.Reg.Id,
      Status: proto.Reg.Status,
      ErrorCode: proto.Reg.ErrorCode,
      IrqMask: proto.Reg.IrqMask,
      RingControl: proto.Reg.RingControl,
      Doorbell: proto.Reg.Doorbell,
      RingHead: proto.Reg.RingHead,
      CurrentMode: proto.Reg.CurrentMode,
      FenceCompleted: proto.Reg.FenceCompleted,
      Reset: proto.Reg.Reset,
      ModeRefresh: proto.Reg.ModeRefresh,
    };
    for (const [name, value] of Object.entries(regs)) expect(cpp.get(`Reg${name}`), name).toBe(value);
    const ops: Record<string, number> = {
      CtxCreate: proto.Op.CtxCreate,
      Map: proto.Op.Map,
      ReadMem: proto.Op.ReadMem,
      SetMode: proto.Op.SetMode,
      Blit: proto.Op.Blit,
      BlitSurface: proto.Op.BlitSurface,
      Present: proto.Op.Present,
      CursorDefine: proto.Op.CursorDefine,
      CursorMove: proto.Op.CursorMove,
      Fence: proto.Op.Fence,
    };
    for (const [name, value] of Object.entries(ops)) expect(cpp.get(`Op${name}`), name).toBe(value);
    expect(proto.ERROR_NAMES.length).toBe(cpp.get('kErrorKinds'));
  });

  it('mailbox records between the device actor and the engine', async () => {
    const records = await import('../../actors/device/engine-records.js');
    const text = readFileSync(path.join(packageRoot, 'native', 'src', 'engine', 'records.h'), 'utf8');
    const cpp = new Map<string, number>();
    for (const m of text.matchAll(/(\w+)\s*=\s*(0x[0-9a-fA-F]+|\d+)\s*[,}]/g)) cpp.set(m[1]!, Number(m[2]));
    const pairs: [string, number][] = [
      ['InMmioRead', records.EngineIn.MmioRead],
      ['InMmioWrite', records.EngineIn.MmioWrite],
      ['InEncode', records.EngineIn.Encode],
      ['InReset', records.EngineIn.Reset],
      ['InPowerOn', records.EngineIn.PowerOn],
      ['WindowIosfc', records.EngineWindow.Iosfc],
      ['OutCreateTask', records.EngineOut.CreateTask],
      ['OutDestroyTask', records.EngineOut.DestroyTask],
      ['OutMapMemory', records.EngineOut.MapMemory],
      ['OutUnmapMemory', records.EngineOut.UnmapMemory],
      ['OutReadMemory', records.EngineOut.ReadMemory],
      ['OutRaiseInterrupt', records.EngineOut.RaiseInterrupt],
      ['OutNewFrame', records.EngineOut.NewFrame],
      ['OutModeChange', records.EngineOut.ModeChange],
      ['OutCursorGlyph', records.EngineOut.CursorGlyph],
      ['OutCursorShow', records.EngineOut.CursorShow],
      ['OutCursorMove', records.EngineOut.CursorMove],
      ['OutEncodeDone', records.EngineOut.EncodeDone],
      ['OutIosfcMap', records.EngineOut.IosfcMap],
      ['OutIosfcUnmap', records.EngineOut.IosfcUnmap],
      ['OutIosfcInterrupt', records.EngineOut.IosfcInterrupt],
      ['EncodeStaleMode', records.EncodeStatus.StaleMode],
    ];
    for (const [name, value] of pairs) expect(cpp.get(name), name).toBe(value);
  });
});
