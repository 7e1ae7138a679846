// Attach the core views to JS-supplied arrays, with a RangeError when the words do not hold
// the structure (magic, shape, length).
#pragma once
#include <napi.h>

#include <string>

#include "addon/args.h"
#include "core/mailbox.h"
#include "core/reply_slot.h"

namespace pvg::addon {
inline MailboxRef attachMailbox(const SharedInt32& shared, const std::string& what) {
  auto box = MailboxRef::attach(shared.view.words, shared.view.length);
  if (!box)
    throw Napi::RangeError::New(shared.array.Env(), what + " does not hold a valid futex-mode mailbox (magic, capacity, record words, park mode, length)");
  return *box;
}

inline ReplyTableRef attachReplies(const SharedInt32& shared, const std::string& what) {
  auto table = ReplyTableRef::attach(shared.view.words, shared.view.length);
  if (!table) throw Napi::RangeError::New(shared.array.Env(), what + " does not hold a valid reply table (magic, slot count, payload bytes, length)");
  return *table;
}
}  // namespace pvg::addon
