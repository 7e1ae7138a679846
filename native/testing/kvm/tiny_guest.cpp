#include "testing/kvm/tiny_guest.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kvm/kvm_system.h"

namespace pvg::kvm::tiny {
namespace {
constexpr uint64_t kIdentityMapped = 1ull << 30;  // one page directory: 512 × 2 MiB

void append(std::vector<uint8_t>& out, std::initializer_list<uint8_t> bytes) { out.insert(out.end(), bytes); }

void append32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// lidt [kIdtr] (absolute disp32 through a SIB byte with no base and no index).
void lidt(std::vector<uint8_t>& out) {
  append(out, {0x0f, 0x01, 0x1c, 0x25});
  append32(out, static_cast<uint32_t>(kIdtr));
}

// mov eax, vector; mov dx, kEoiPort; out dx, eax; iretq
std::vector<uint8_t> reportingHandler(uint8_t vector) { return {0xb8, vector, 0x00, 0x00, 0x00, 0x66, 0xba, kEoiPort & 0xff, kEoiPort >> 8, 0xef, 0x48, 0xcf}; }
}  // namespace

GuestRam::GuestRam(size_t bytes) : size_(bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw KvmError("mmap of " + std::to_string(bytes) + " bytes of guest RAM: " + errnoText(errno));
  bytes_ = static_cast<uint8_t*>(p);
}

GuestRam::~GuestRam() { ::munmap(bytes_, size_); }

void GuestRam::put(uint64_t at, const uint8_t* data, size_t n) {
  if (at > size_ || n > size_ - at)
    throw std::out_of_range("tiny guest: write of " + std::to_string(n) + " bytes at " + std::to_string(at) + " lies outside its RAM");
  std::memcpy(bytes_ + at, data, n);
}

Program mmioReadLoop(uint32_t address, bool userMode) {
  // The address is a sign-extended disp32 and must be identity-mapped: below 1 GiB.
  if (address >= kIdentityMapped) throw std::out_of_range("tiny guest: the MMIO read loop's address must lie below 1 GiB");
  Program p;
  append(p.code, {0x8b, 0x04, 0x25});  // mov eax, [disp32]
  append32(p.code, address);
  append(p.code, {0xeb, 0xf7});  // jmp back 9 bytes, to the mov
  p.userMode = userMode;
  return p;
}

Program testSequence(uint8_t vector) {
  Program p;
  auto mmio = static_cast<uint32_t>(kMmio);
  append(p.code, {0x8b, 0x04, 0x25});  // mov eax, [kMmio]
  append32(p.code, mmio);
  append(p.code, {0x89, 0x04, 0x25});  // mov [kMmio + 4], eax
  append32(p.code, mmio + 4);
  append(p.code, {0x66, 0xba, kDonePort & 0xff, kDonePort >> 8, 0xef});  // mov dx, kDonePort; out dx, eax
  lidt(p.code);
  append(p.code, {0xfb, 0xf4,    // sti; hlt
                  0xfa, 0xf4,    // cli; hlt
                  0xeb, 0xfe});  // jmp $
  p.handler = Handler{vector, reportingHandler(vector)};
  return p;
}

Program haltLoop(uint8_t vector) {
  Program p;
  lidt(p.code);
  append(p.code, {0xfb,          // sti
                  0xf4,          // L: hlt
                  0xeb, 0xfd});  // jmp L
  p.handler = Handler{vector, reportingHandler(vector)};
  return p;
}

Program spin() { return Program{{0xeb, 0xfe}, std::nullopt}; }

TinyGuest::TinyGuest(const Program& program) : ram_(kRamBytes) {
  // Identity map of the first 1 GiB in 2 MiB pages (present, writable, user, accessed, dirty, large).
  ram_.put64(kPml4, kPdpt | 0x27);
  ram_.put64(kPdpt, kPd | 0x27);
  for (uint64_t j = 0; j < 512; ++j) ram_.put64(kPd + j * 8, (j << 21) | 0xe7);
  // GDT: null, ring-0 64-bit code and data, ring-3 data and 64-bit code (kvm_vcpu.h's selectors).
  ram_.put64(kGdt + kCodeSelector, 0x00af'9b00'0000'ffffULL);
  ram_.put64(kGdt + kDataSelector, 0x00cf'9300'0000'ffffULL);
  ram_.put64(kGdt + 0x18, 0x00cf'f300'0000'ffffULL);
  ram_.put64(kGdt + 0x20, 0x00af'fb00'0000'ffffULL);
  // IDTR operand: limit (all 256 gates), base. Gates are absent unless the program has a handler.
  ram_.put16(kIdtr, 0xfff);
  ram_.put64(kIdtr + 2, kIdt);
  if (program.handler) {
    uint8_t gate[16] = {};
    gate[0] = kHandler & 0xff;
    gate[1] = (kHandler >> 8) & 0xff;
    gate[2] = kCodeSelector;
    gate[5] = 0x8e;  // present, DPL 0, 64-bit interrupt gate
    ram_.put(kIdt + uint64_t{program.handler->vector} * 16, gate, sizeof gate);
    ram_.put(kHandler, program.handler->code);
  }
  if (program.userMode) {
    // push ss; push rsp; push rflags (IF off); push cs; push rip; iretq — into ring 3.
    std::vector<uint8_t> drop = {0x6a, 0x1b, 0x68};
    append32(drop, static_cast<uint32_t>(kUserStackTop));
    append(drop, {0x6a, 0x02, 0x6a, 0x23, 0x68});
    append32(drop, static_cast<uint32_t>(kUserCode));
    append(drop, {0x48, 0xcf});
    ram_.put(kCode, drop);
    ram_.put(kUserCode, program.code);
  } else {
    ram_.put(kCode, program.code);
  }
}

LongModeEntry TinyGuest::entry() const {
  LongModeEntry e;
  e.rip = kCode;
  e.rsp = kStackTop;
  e.cr3 = kPml4;
  e.gdtBase = kGdt;
  e.gdtLimit = 5 * 8 - 1;
  return e;
}
}  // namespace pvg::kvm::tiny
