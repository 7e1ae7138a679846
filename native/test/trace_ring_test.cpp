// Trace rings: byte layout, overwrite detection, and a writer racing a reader (no torn events).
#include <cstring>
#include <thread>

#include "core/clock.h"
#include "core/trace_ring.h"
#include "harness.h"
#include "test_support.h"

using pvg::TraceEventData;
using pvg::TraceRingReader;
using pvg::TraceRingWriter;
using pvg::test::Rng;
using pvg::test::SharedWords;
namespace tr = pvg::trace;

namespace {
size_t wordsFor(uint32_t rings, uint32_t events) { return static_cast<size_t>(tr::setBytes(rings, events) / 4); }
template <class T>
T rawAt(SharedWords& mem, size_t byte) {
  T v;
  std::memcpy(&v, reinterpret_cast<uint8_t*>(mem.data()) + byte, sizeof v);
  return v;
}
}  // namespace

PVG_TEST("trace: attach validates the set; the writer records its thread id") {
  SharedWords mem(wordsFor(2, 8));
  PVG_CHECK(!TraceRingWriter::attach(mem.data(), mem.length(), 0).has_value());  // no magic
  PVG_CHECK(!pvg::initializeTraceSet(mem.data(), mem.length(), 2, 6));           // not a power of two
  PVG_CHECK(!pvg::initializeTraceSet(mem.data(), mem.length(), 3, 8));           // does not fit
  PVG_REQUIRE(pvg::initializeTraceSet(mem.data(), mem.length(), 2, 8));
  PVG_CHECK(!TraceRingWriter::attach(mem.data(), mem.length(), 2).has_value());
  PVG_CHECK(!TraceRingWriter::attach(mem.data(), mem.length() - 1, 1).has_value());
  PVG_CHECK(!TraceRingWriter::attach(mem.data() + 1, mem.length() - 1, 0).has_value());  // misaligned
  auto writer = TraceRingWriter::attach(mem.data(), mem.length(), 1);
  PVG_REQUIRE(writer.has_value());
  size_t ring1 = tr::kSetHeaderBytes + tr::ringBytes(8);
  PVG_CHECK(rawAt<uint32_t>(mem, ring1 + tr::kRingThreadIdWord * 4) == pvg::currentThreadId());
  PVG_CHECK(rawAt<uint32_t>(mem, tr::kSetHeaderBytes + tr::kRingThreadIdWord * 4) == 0);
}

PVG_TEST("trace: events land at the documented byte offsets") {
  SharedWords mem(wordsFor(2, 8));
  PVG_REQUIRE(pvg::initializeTraceSet(mem.data(), mem.length(), 2, 8));
  auto writer = TraceRingWriter::attach(mem.data(), mem.length(), 1);
  PVG_REQUIRE(writer.has_value());
  writer->write(tr::Event::apple_gfx_read, tr::Phase::Complete, 1.5, 2.25, 3, -4, 5e9);
  writer->write(tr::Event::test_event, tr::Phase::Instant, 10, 0, 0, 0, 0);
  size_t ring1 = tr::kSetHeaderBytes + tr::ringBytes(8);
  PVG_CHECK(rawAt<uint32_t>(mem, ring1 + tr::kRingWrittenWord * 4) == 2);
  size_t ev0 = ring1 + tr::kRingHeaderBytes, ev1 = ev0 + tr::kEventBytes;
  PVG_CHECK(rawAt<double>(mem, ev0 + tr::kEventTimestampByte) == 1.5);
  PVG_CHECK(rawAt<double>(mem, ev0 + tr::kEventDurationByte) == 2.25);
  PVG_CHECK(rawAt<double>(mem, ev0 + tr::kEventArg0Byte) == 3);
  PVG_CHECK(rawAt<double>(mem, ev0 + tr::kEventArg1Byte) == -4);
  PVG_CHECK(rawAt<double>(mem, ev0 + tr::kEventArg2Byte) == 5e9);
  PVG_CHECK(rawAt<uint32_t>(mem, ev0 + tr::kEventSequenceByte) == 2);
  PVG_CHECK(rawAt<uint16_t>(mem, ev0 + tr::kEventIdByte) == 1);
  PVG_CHECK(rawAt<uint8_t>(mem, ev0 + tr::kEventPhaseByte) == 3);
  PVG_CHECK(rawAt<uint8_t>(mem, ev0 + tr::kEventPhaseByte + 1) == 0);
  PVG_CHECK(rawAt<uint32_t>(mem, ev1 + tr::kEventSequenceByte) == 4);
  PVG_CHECK(rawAt<uint16_t>(mem, ev1 + tr::kEventIdByte) == 63);
  PVG_CHECK(rawAt<uint8_t>(mem, ev1 + tr::kEventPhaseByte) == 4);
  PVG_CHECK(rawAt<uint32_t>(mem, tr::kSetHeaderBytes) == 0);  // ring 0 untouched
}

PVG_TEST("trace: the reader tells complete, overwritten and unwritten events apart") {
  SharedWords mem(wordsFor(1, 8));
  PVG_REQUIRE(pvg::initializeTraceSet(mem.data(), mem.length(), 1, 8));
  auto writer = TraceRingWriter::attach(mem.data(), mem.length(), 0);
  auto reader = TraceRingReader::attach(mem.data(), mem.length(), 0);
  PVG_REQUIRE(writer && reader);
  for (int i = 0; i < 20; ++i) writer->write(tr::Event::request, tr::Phase::Begin, i, 0, i * 2, 0, 0);
  TraceEventData ev;
  PVG_CHECK(reader->written() == 20);
  PVG_CHECK(reader->read(0, ev) == TraceRingReader::Read::Overwritten);
  PVG_CHECK(reader->read(11, ev) == TraceRingReader::Read::Overwritten);
  PVG_CHECK(reader->read(12, ev) == TraceRingReader::Read::Ok && ev.arg0 == 24 && ev.tsUs == 12);
  PVG_CHECK(reader->read(19, ev) == TraceRingReader::Read::Ok && ev.id == 37 && ev.phase == 1);
  PVG_CHECK(reader->read(20, ev) == TraceRingReader::Read::NotWritten);
  // A writer re-attaching to the ring continues its sequence.
  auto again = TraceRingWriter::attach(mem.data(), mem.length(), 0);
  PVG_REQUIRE(again.has_value());
  again->write(tr::Event::request, tr::Phase::End, 20, 0, 40, 0, 0);
  PVG_CHECK(reader->read(20, ev) == TraceRingReader::Read::Ok && ev.arg0 == 40);
}

PVG_TEST("trace: a writer racing a reader never yields a torn event") {
  constexpr uint32_t events = 16;
  const uint32_t total = pvg::test::kUnderTsan ? 100'000 : 400'000;
  SharedWords mem(wordsFor(2, events));
  PVG_REQUIRE(pvg::initializeTraceSet(mem.data(), mem.length(), 2, events));
  std::atomic<bool> done{false};
  std::thread writerThread([&] {
    auto writer = TraceRingWriter::attach(mem.data(), mem.length(), 1);
    if (!writer) return done.store(true);
    Rng rng(7);
    for (uint32_t n = 0; n < total; ++n) {
      // Every field derives from n and r, so the reader can check the whole event.
      double r = rng.below(1u << 20);
      writer->write(tr::Event::test_event, static_cast<tr::Phase>(1 + n % 7), n + 0.25, r, n, r, static_cast<double>(n) * 1048576 + r);
      if (rng.below(1024) == 0) std::this_thread::yield();
    }
    done.store(true);
  });
  auto reader = TraceRingReader::attach(mem.data(), mem.length(), 1);
  PVG_REQUIRE(reader.has_value());
  uint64_t ok = 0, overwritten = 0, torn = 0;
  uint32_t lastSeen = 0;
  bool backwards = false;
  TraceEventData ev;
  for (;;) {
    bool finished = done.load();
    uint32_t written = reader->written();
    if (written < lastSeen) backwards = true;
    lastSeen = written;
    uint32_t from = written > events ? written - events : 0;
    for (uint32_t n = from; n < written; ++n) {
      auto result = reader->read(n, ev);
      if (result == TraceRingReader::Read::Overwritten) {
        ++overwritten;
      } else if (result == TraceRingReader::Read::Ok) {
        ++ok;
        bool good = ev.arg0 == n && ev.tsUs == n + 0.25 && ev.durUs == ev.arg1 && ev.arg2 == static_cast<double>(n) * 1048576 + ev.arg1 && ev.id == 63 &&
                    ev.phase == 1 + n % 7;
        if (!good) ++torn;
      } else {
        ++torn;  // below the written count an event is never "not written"
      }
    }
    if (finished) break;
  }
  writerThread.join();
  PVG_CHECK(torn == 0);
  PVG_CHECK(!backwards);
  PVG_CHECK(ok > 0);
  PVG_CHECK(reader->written() == total);
  PVG_CHECK(reader->threadId() != 0 && reader->threadId() != pvg::currentThreadId());
  std::printf("    (reader: %llu complete, %llu overwritten under it)\n", static_cast<unsigned long long>(ok), static_cast<unsigned long long>(overwritten));
}

PVG_TEST("trace: a paused set drops every write; resumed, writing goes on where it stopped") {
  SharedWords mem(wordsFor(1, 8));
  PVG_REQUIRE(pvg::initializeTraceSet(mem.data(), mem.length(), 1, 8));
  auto writer = TraceRingWriter::attach(mem.data(), mem.length(), 0);
  PVG_REQUIRE(writer.has_value());
  writer->write(tr::Event::test_event, tr::Phase::Instant, 1, 0, 0, 0, 0);
  mem.data()[tr::kSetPausedWord] = 1;
  for (int i = 0; i < 5; ++i) writer->write(tr::Event::test_event, tr::Phase::Instant, 2, 0, 0, 0, 0);
  PVG_CHECK(writer->written() == 1);
  PVG_CHECK(rawAt<uint32_t>(mem, tr::kSetHeaderBytes + tr::kRingWrittenWord * 4) == 1);
  mem.data()[tr::kSetPausedWord] = 0;
  writer->write(tr::Event::test_event, tr::Phase::Instant, 3, 0, 0, 0, 0);
  PVG_CHECK(writer->written() == 2);
}
