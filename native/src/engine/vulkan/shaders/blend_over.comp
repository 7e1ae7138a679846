#version 450
// A blit of staged source pixels into the frame: a copy of the words as they are, or source-over
// (p.copy == 0) in exactly the integers of
// engine/render/blend.h (blendOver): straight alpha, round half up, the same special cases. Every
// product and sum fits in 32 bits (C * w <= 255 * 65025 < 2^24), and GLSL's uint division
// truncates as C++'s does, so both backends write the same bytes.
layout(local_size_x = 16, local_size_y = 16) in;
layout(std430, set = 0, binding = 0) buffer FrameWords { uint frame[]; };
layout(std430, set = 0, binding = 1) readonly buffer StagedWords { uint staged[]; };
layout(push_constant) uniform Blit {
  uint frameWidth;  // words per frame row
  uint frameBase;   // word of the frame's first pixel (x, y) in the bound range
  uint w, h;        // the rectangle
  uint stagedBase;  // word of the first source pixel; source rows are w words apart
  uint copy;        // nonzero: the source word as it is (a copy blit narrower than the frame)
} p;

uint div255Round(uint x) {
  x += 128u;
  return (x + (x >> 8)) >> 8;
}

uint blendOver(uint src, uint dst) {
  uint as = src >> 24;
  if (as == 255u) return src;
  if (as == 0u) return dst;
  uint ad = dst >> 24;
  if (ad == 255u) {
    uint ias = 255u - as;
    uint r = div255Round(((src >> 16) & 255u) * as + ((dst >> 16) & 255u) * ias);
    uint g = div255Round(((src >> 8) & 255u) * as + ((dst >> 8) & 255u) * ias);
    uint b = div255Round((src & 255u) * as + (dst & 255u) * ias);
    return 0xFF000000u | (r << 16) | (g << 8) | b;
  }
  uint ws = as * 255u;
  uint wd = ad * (255u - as);
  uint den = ws + wd;
  uint halfDen = den >> 1;
  uint r = (((src >> 16) & 255u) * ws + ((dst >> 16) & 255u) * wd + halfDen) / den;
  uint g = (((src >> 8) & 255u) * ws + ((dst >> 8) & 255u) * wd + halfDen) / den;
  uint b = ((src & 255u) * ws + (dst & 255u) * wd + halfDen) / den;
  uint ao = as + div255Round(wd);
  return (ao << 24) | (r << 16) | (g << 8) | b;
}

void main() {
  uvec2 at = gl_GlobalInvocationID.xy;
  if (at.x >= p.w || at.y >= p.h) return;
  uint d = p.frameBase + at.y * p.frameWidth + at.x;
  uint s = staged[p.stagedBase + at.y * p.w + at.x];
  frame[d] = p.copy != 0u ? s : blendOver(s, frame[d]);
}
