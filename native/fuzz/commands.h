// Ring commands built from the fuzz input: the opcode from the real list (docs/protocol.md §3),
// each argument decoded by what it means (values.h), and sometimes a header that lies about the
// length, so both the checks and the deep paths behind them are reached.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "abi/protocol.h"
#include "input.h"
#include "values.h"

namespace pvg::fuzz {
namespace P = engine::proto;

inline constexpr std::array<uint16_t, 16> kOps = {P::OpNop,          P::OpCtxCreate,  P::OpCtxDestroy, P::OpMap,  P::OpUnmap,       P::OpReadMem,
                                                  P::OpSetMode,      P::OpFillRect,   P::OpCopyRect,   P::OpBlit, P::OpBlitSurface, P::OpPresent,
                                                  P::OpCursorDefine, P::OpCursorShow, P::OpCursorMove, P::OpFence};

inline uint32_t header(uint16_t op, uint32_t words) { return (words << 16) | op; }

namespace detail {
struct Words {
  std::vector<uint32_t> w;
  void add(uint32_t v) { w.push_back(v); }
  void add64(uint64_t v) {
    w.push_back(static_cast<uint32_t>(v));
    w.push_back(static_cast<uint32_t>(v >> 32));
  }
};

// A count field (MAP ranges, PRESENT rectangles): mostly small and right, sometimes 0 or over
// the limit. Returns the count written; *follow is how many entries actually follow it.
inline uint32_t count(Input& in, uint32_t limit, uint32_t* follow) {
  const uint8_t s = in.u8();
  const uint32_t c = s % 8 < 6 ? s % 4 + (limit == P::kMaxMapRanges ? 1 : 0) : s % 8 == 6 ? 0 : limit + 1;
  *follow = c < 4 ? c : 4;
  return c;
}

inline uint32_t cursorSize(Input& in) {
  const uint8_t s = in.u8();
  if (values::raw(s)) return in.u32();
  static constexpr std::array<uint32_t, 8> kSize = {16, 16, 1, 256, 257, 0, 8, 64};
  return kSize[s % kSize.size()];
}
}  // namespace detail

// The argument words of `op`, in the order the protocol lists them.
inline std::vector<uint32_t> arguments(uint16_t op, Input& in) {
  namespace v = values;
  detail::Words a;
  switch (op) {
    case P::OpNop: {
      const uint32_t n = in.u8() % 8;
      for (uint32_t i = 0; i < n; ++i) a.add(v::word(in));
      break;
    }
    case P::OpCtxCreate:
      a.add(v::ctx(in));
      a.add64(v::size(in));
      break;
    case P::OpCtxDestroy:
      a.add(v::ctx(in));
      break;
    case P::OpMap: {
      a.add(v::ctx(in));
      a.add64(v::va(in));
      a.add(v::flags(in));
      uint32_t follow = 0;
      a.add(detail::count(in, P::kMaxMapRanges, &follow));
      for (uint32_t i = 0; i < follow; ++i) {
        a.add64(v::gpa(in));
        a.add64(v::size(in));
      }
      break;
    }
    case P::OpUnmap:
      a.add(v::ctx(in));
      a.add64(v::va(in));
      a.add64(v::size(in));
      break;
    case P::OpReadMem:
      a.add(v::ctx(in));
      a.add64(v::va(in));
      a.add64(v::gpa(in));
      a.add(v::length(in));
      break;
    case P::OpSetMode:
      a.add(v::display(in));
      a.add(v::small(in, 5));
      break;
    case P::OpFillRect:
      a.add(v::display(in));
      for (int i = 0; i < 4; ++i) a.add(v::coord(in));
      a.add(v::word(in));
      break;
    case P::OpCopyRect:
      a.add(v::display(in));
      for (int i = 0; i < 6; ++i) a.add(v::coord(in));
      break;
    case P::OpBlit:
      a.add(v::display(in));
      a.add(v::ctx(in));
      a.add64(v::va(in));
      a.add(v::stride(in));
      for (int i = 0; i < 4; ++i) a.add(v::coord(in));
      a.add(v::flags(in));
      break;
    case P::OpBlitSurface:
      a.add(v::display(in));
      a.add(v::small(in, 34));
      for (int i = 0; i < 6; ++i) a.add(v::coord(in));
      a.add(v::flags(in));
      break;
    case P::OpPresent: {
      a.add(v::display(in));
      uint32_t follow = 0;
      a.add(detail::count(in, P::kMaxDamageRects, &follow));
      for (uint32_t i = 0; i < 4 * follow; ++i) a.add(v::coord(in));
      break;
    }
    case P::OpCursorDefine:
      a.add(v::display(in));
      a.add(v::ctx(in));
      a.add64(v::va(in));
      a.add(detail::cursorSize(in));
      a.add(detail::cursorSize(in));
      a.add(v::bpp(in));
      a.add(v::stride(in));
      a.add(v::coord(in));
      a.add(v::coord(in));
      break;
    case P::OpCursorShow:
      a.add(v::display(in));
      a.add(v::flags(in));
      break;
    case P::OpCursorMove:
      a.add(v::display(in));
      a.add(v::word(in));
      a.add(v::word(in));
      break;
    case P::OpFence:
      a.add(v::word(in));
      a.add(v::flags(in));
      break;
    default: {  // an opcode that does not exist: a few words of anything
      const uint32_t n = in.u8() % 16;
      for (uint32_t i = 0; i < n; ++i) a.add(in.u32());
      break;
    }
  }
  return std::move(a.w);
}

// Header plus arguments. One mutation byte decides whether the header tells the truth: a wrong
// length, 0, past the 1024-word limit, or a command one word short or long.
inline std::vector<uint32_t> command(uint16_t op, Input& in) {
  std::vector<uint32_t> args = arguments(op, in);
  const uint8_t m = in.u8();
  uint32_t words = static_cast<uint32_t>(args.size()) + 1;
  switch (m % 16) {
    case 0:
      words = static_cast<uint32_t>(static_cast<int32_t>(words) + static_cast<int8_t>(in.u8())) & 0xFFFF;
      break;
    case 1:
      words = 0;
      break;
    case 2:
      words = P::kMaxCommandWords + 1 + in.u8();
      break;
    case 3:
      if (!args.empty()) args.pop_back(), words--;
      break;
    case 4:
      args.push_back(in.u32()), words++;
      break;
    default:
      break;
  }
  std::vector<uint32_t> out{header(op, words)};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}
}  // namespace pvg::fuzz
