// Cursor glyphs: conversion of every bitmap format the protocol allows (docs/protocol.md,
// "Cursor bitmaps") to ARGB8888 once, when the glyph is defined, and software compositing of a
// glyph onto a frame for sinks that cannot draw a cursor themselves.
//
// Unlike guest drawing commands, compositing clips: the cursor position is display state, and a
// cursor half off the screen is normal.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/render/frame.h"

namespace pvg::engine {

inline constexpr uint32_t kMaxCursorSize = 256;

// A converted glyph: w * h straight-alpha ARGB8888 words, row-major, no padding, hotspot inside.
struct CursorGlyph {
  uint32_t w = 0;
  uint32_t h = 0;
  uint32_t hotX = 0;
  uint32_t hotY = 0;
  std::vector<uint32_t> argb;
  // True when the fields are consistent (what convertCursorGlyph produces): 1 <= w, h <= 256,
  // hotspot inside, argb.size() == w * h. compositeCursor draws nothing for an invalid glyph.
  bool valid() const;
};

enum class CursorError : uint8_t {
  None = 0,
  BadSize,     // w or h is 0 or above 256
  BadBpp,      // bpp is not 8, 16, 24 or 32
  BadStride,   // stride < ceil(w * bpp / 8), or stride * h (64-bit) > srcBytes (or src is null)
  BadHotspot,  // hotX >= w or hotY >= h
};
std::string_view cursorErrorName(CursorError error);

struct CursorConvertResult {
  CursorError error = CursorError::None;
  CursorGlyph glyph;  // meaningful only when ok()
  bool ok() const { return error == CursorError::None; }
};

// Converts a guest cursor bitmap (rows strideBytes apart, little-endian pixels) to ARGB8888.
// Checks run in the order size, bpp, stride, hotspot; the first failure is reported. The whole
// stride * h bytes must lie inside [src, src + srcBytes) (the last row's padding included).
//   32: u32 ARGB8888, straight alpha, taken as is;
//   24: 3 bytes B, G, R -> 0xFFRRGGBB (opaque);
//   16: u16 ARGB1555: bit 15 set = opaque (A = 0xFF), clear = fully transparent (A = 0); the
//       5-bit R (bits 10-14), G (5-9), B (0-4) are expanded as (v << 3) | (v >> 2), and kept
//       for transparent pixels too;
//    8: A4L4: A = (high nibble) * 17, grey L = (low nibble) * 17 -> (A, L, L, L).
CursorConvertResult convertCursorGlyph(const uint8_t* src, size_t srcBytes, uint32_t w, uint32_t h, uint32_t bpp, uint32_t strideBytes, uint32_t hotX,
                                       uint32_t hotY);

// Draws the glyph source-over (blend.h) with its hotspot at frame pixel (x, y), clipped to the
// frame; positions may be negative or past the edges. Nothing happens for an empty frame or an
// invalid glyph.
void compositeCursor(Frame& frame, const CursorGlyph& glyph, int32_t x, int32_t y);

// The frame pixels compositeCursor(glyph, x, y) would touch on a frameW x frameH frame (its
// damage): the glyph rectangle clipped to the frame, or {0, 0, 0, 0} when nothing is visible
// (or the glyph is invalid).
Rect cursorBounds(const CursorGlyph& glyph, int32_t x, int32_t y, uint32_t frameW, uint32_t frameH);

}  // namespace pvg::engine
