// The TypeScript and C++ sides read the same SAB words: their layout constants must agree.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

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
      kMagic: mailbox.MAILBOX_MAGIC, kMagicWord: mailbox.MailboxWord.Magic, kCapacityWord: mailbox.MailboxWord.Capacity, kRecordWordsWord: mailbox.MailboxWord.RecordWords,
      kClosedWord: mailbox.MailboxWord.Closed, kCloseReasonWord: mailbox.MailboxWord.CloseReason, kParkModeWord: mailbox.MailboxWord.ParkMode, kAttentionWord: mailbox.MailboxWord.Attention, kTailWord: mailbox.MailboxWord.Tail,
      kHeadWord: mailbox.MailboxWord.Head, kDequeuedLoWord: mailbox.MailboxWord.DequeuedLo, kDequeuedHiWord: mailbox.MailboxWord.DequeuedHi, kConsumerParksWord: mailbox.MailboxWord.ConsumerParks,
      kDoorbellStateWord: mailbox.MailboxWord.DoorbellState, kNotFullWord: mailbox.MailboxWord.NotFull, kProducersWaitingWord: mailbox.MailboxWord.ProducersWaiting,
      kProducerWaitsWord: mailbox.MailboxWord.ProducerWaits, kHeaderWords: mailbox.MAILBOX_HEADER_WORDS, kRecordWords: mailbox.RECORD_WORDS,
      kDoorbellRunning: mailbox.DOORBELL_RUNNING, kDoorbellParked: mailbox.DOORBELL_PARKED,
      kParkModeFutex: mailbox.ParkMode.Futex, kParkModeAtomics: mailbox.ParkMode.Atomics,
    }).toEqual(Object.fromEntries([...c].filter(([k]) => k !== 'kRecordArgs')));
  });

  it('reply slots', () => {
    const c = cppConstants('reply_layout.h');
    expect({
      kMagic: reply.REPLY_MAGIC, kHeaderBytes: reply.REPLY_HEADER_BYTES, kStateWord: reply.ReplyWord.State, kParkedWord: reply.ReplyWord.Parked,
      kErrorCodeWord: reply.ReplyWord.ErrorCode, kRequestIdWord: reply.ReplyWord.RequestId, kValuesWord: reply.ReplyWord.Values, kValueWords: reply.REPLY_VALUE_WORDS,
      kIdle: reply.ReplyState.Idle, kPending: reply.ReplyState.Pending, kReplied: reply.ReplyState.Replied, kError: reply.ReplyState.Error, kClaimed: reply.ReplyState.Claimed,
      kTableMagicWord: reply.ReplyTableWord.Magic, kTableSlotCountWord: reply.ReplyTableWord.SlotCount,
      kTablePayloadBytesWord: reply.ReplyTableWord.PayloadBytes,
    }).toEqual(Object.fromEntries(c));
  });

  it('trace rings and event ids', () => {
    const c = cppConstants('trace_layout.h');
    expect({
      kMagic: trace.TRACE_MAGIC, kSetHeaderBytes: trace.TRACE_SET_HEADER_BYTES, kRingHeaderBytes: trace.TRACE_RING_HEADER_BYTES,
      kEventBytes: trace.TRACE_EVENT_BYTES, kSetMagicWord: trace.TraceSetWord.Magic, kSetRingCountWord: trace.TraceSetWord.RingCount,
      kSetEventsPerRingWord: trace.TraceSetWord.EventsPerRing, kRingWrittenWord: trace.TraceRingWord.Written,
      kRingThreadIdWord: trace.TraceRingWord.ThreadId, kRingDroppedOnReadWord: trace.TraceRingWord.DroppedOnRead,
      kEventTimestampByte: trace.TraceEventByte.Timestamp, kEventDurationByte: trace.TraceEventByte.Duration, kEventArg0Byte: trace.TraceEventByte.Arg0, kEventArg1Byte: trace.TraceEventByte.Arg1,
      kEventArg2Byte: trace.TraceEventByte.Arg2, kEventSequenceByte: trace.TraceEventByte.Sequence, kEventIdByte: trace.TraceEventByte.EventId, kEventPhaseByte: trace.TraceEventByte.Phase,
    }).toEqual(Object.fromEntries(c));
    expect(Object.fromEntries(cppConstants('trace_events.h'))).toEqual(TRACE_EVENTS);
  });
});
