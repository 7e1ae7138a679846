// The rig's side of engine states (engine_state.h): the limits its engine checks a state
// against, and a load that also restores the fake host's side (as the device actor restores its
// own from a snapshot), so the callbacks after it are checked as after any other run.
#pragma once
#include <span>

#include "engine/soft/engine_state.h"
#include "layout.h"
#include "machine.h"
#include "rig.h"

namespace pvg::fuzz {
inline engine::EngineStateLimits rigStateLimits() {
  engine::EngineStateLimits limits;
  limits.modes.resize(2);
  for (const Mode& m : kDisplay0Modes) limits.modes[0].push_back({m.width, m.height, 60});
  for (const Mode& m : kDisplay1Modes) limits.modes[1].push_back({m.width, m.height, 60});
  limits.iosfc = true;
  limits.maxContextBytes = kMaxContextBytes;
  limits.guest = &Machine::get().guest();
  return limits;
}

// Loads `bytes` into the rig's engine (at power-on); when accepted, the fake host adopts its side.
inline engine::EngineStateError loadState(Rig& rig, std::span<const uint8_t> bytes) {
  const engine::EngineStateError error = rig.engine().loadState(bytes);
  if (!error.ok()) return error;
  engine::EngineStateError again;
  const auto state = engine::decodeEngineState(bytes, rigStateLimits(), &again);
  FUZZ_CHECK(state.has_value(), "the engine loaded a state the decoder refuses: %s: %s", again.part.c_str(), again.reason.c_str());
  rig.host().adopt(*state);
  return error;
}
}  // namespace pvg::fuzz
