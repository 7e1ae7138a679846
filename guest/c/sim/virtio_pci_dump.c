// Host build of the machine-code guest's virtio-pci input path (virtio_pci.c under
// virtio_transport.c and virtio_input.c, guest_input.c, desktop_cursor.c) for
// test/guest/c/guest-virtio-pci.test.ts, against a stand-in virtio-input-pci keyboard and tablet
// laid out as shared/virtio/pci-transport.ts lays them out (capabilities at 0x40 MSI-X, 0x60
// common, 0x70 notify, 0x84 ISR, 0x94 device; BAR0 structures 4 KiB apart, MSI-X table 0x4000,
// PBA 0x4800). Every access is checked to have its field's natural width (BADWIDTH otherwise).
// argv[1]: a misbehaviour of both functions (see `odd`), or "none"; argv[2]: the binding k.
// Lines on stdin:
//   t TYPE CODE V | k TYPE CODE V   the tablet (keyboard) writes an event into its next buffer
//   frame N W H                      guest_input_take, then desktop_cursor_at(N, W, H): "move X Y"
// Output: "setup ..." facts of each function after guest_input_start (or FAIL CODE MESSAGE and
// exit 0 when the guest refuses), then per frame "move X Y taken N notifies K T".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desktop_cursor.h"
#include "guest_input.h"
#include "protocol.h"

struct pvg_boot host_boot;

enum { CFG_BYTES = 4096, BAR_BYTES = 0x8000, QUEUE_MAX = 64 };
enum { CAP_MSIX = 0x40, CAP_COMMON = 0x60, CAP_NOTIFY = 0x70, CAP_ISR = 0x84, CAP_DEVICE = 0x94 };
enum { R_COMMON = 0x0000, R_ISR = 0x1000, R_DEVICE = 0x2000, R_NOTIFY = 0x3000, R_TABLE = 0x4000, R_PBA = 0x4800 };

static const char* odd = "none";
static int is(const char* name) { return strcmp(odd, name) == 0; }

struct queue {
  uint32_t size, vector, enabled;
  uint64_t desc, avail, used;
  uint16_t next_avail, used_idx;
};

struct function {
  uint8_t cfg[CFG_BYTES];
  uint32_t bar_mask;  // the BAR's writable bits
  uint32_t dfsel, drfsel, features[2], status, config_vector, qsel;
  struct queue q[2];
  uint8_t select, subsel;
  uint32_t msix[8][4];
  uint32_t notifies;
  const char* name;
};

static struct function fns[2];
static uint32_t binding;

static void put16(uint8_t* p, uint32_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get(const uint8_t* p, uint32_t size) {
  uint32_t v = 0;
  memcpy(&v, p, size);
  return v;
}

static void cap(struct function* f, uint32_t at, uint32_t next, uint32_t type, uint32_t offset, uint32_t length, uint32_t len) {
  f->cfg[at] = PVG_PCI_CAP_ID_VNDR;
  f->cfg[at + 1] = (uint8_t)next;
  f->cfg[at + 2] = (uint8_t)len;
  f->cfg[at + 3] = (uint8_t)type;
  put32(f->cfg + at + 8, offset);
  put32(f->cfg + at + 12, length);
}

static void init_function(struct function* f, const char* name) {
  memset(f, 0, sizeof *f);
  f->name = name;
  put16(f->cfg + PVG_PCI_VENDOR_ID, PVG_VIRTIO_PCI_VENDOR_ID);
  put16(f->cfg + PVG_PCI_DEVICE_ID, PVG_VIRTIO_PCI_DEVICE_ID_BASE + PVG_VIRTIO_ID_INPUT + (is("wrong-device") ? 1 : 0));
  f->bar_mask = is("bar-size") ? 0xffff7ff0u : ~(uint32_t)(BAR_BYTES - 1) & 0xfffffff0u;
  if (is("bar-io")) f->cfg[PVG_PCI_BAR0] = 1;
  f->cfg[PVG_PCI_CAPABILITY_LIST] = is("header") ? 0x10 : is("no-msix") ? CAP_COMMON : CAP_MSIX;
  f->cfg[CAP_MSIX] = PVG_PCI_MSIX_CAP_ID;
  f->cfg[CAP_MSIX + 1] = CAP_COMMON;
  put16(f->cfg + CAP_MSIX + PVG_PCI_MSIX_FLAGS, is("msix-one") ? 0 : 2);  // 3 entries: configuration, 2 queues
  put32(f->cfg + CAP_MSIX + PVG_PCI_MSIX_TABLE, is("msix-outside") ? 0x7ff8 : R_TABLE);
  put32(f->cfg + CAP_MSIX + PVG_PCI_MSIX_PBA, is("pba-bar1") ? R_PBA | 1 : R_PBA);
  cap(f, CAP_COMMON, CAP_NOTIFY, PVG_VIRTIO_PCI_CAP_COMMON, is("common-outside") ? 0x7ff0 : R_COMMON,
      is("common-short") ? 0x10 : PVG_VIRTIO_PCI_COMMON_CFG_BYTES, 16);
  cap(f, CAP_NOTIFY, CAP_ISR, PVG_VIRTIO_PCI_CAP_NOTIFY, R_NOTIFY, 2 * 4, 20);
  put32(f->cfg + CAP_NOTIFY + 16, is("doorbell-outside") ? 0x1000 : 4);
  cap(f, CAP_ISR, is("no-isr") ? 0 : CAP_DEVICE, PVG_VIRTIO_PCI_CAP_ISR, R_ISR, 1, 16);
  cap(f, CAP_DEVICE, is("loop") ? CAP_COMMON : 0, PVG_VIRTIO_PCI_CAP_DEVICE, R_DEVICE, is("device-short") ? 4 : PVG_VIRTIO_INPUT_CONFIG_BYTES, 16);
  if (is("no-isr")) memset(f->cfg + CAP_DEVICE, 0, 16);
  for (int i = 0; i < 2; i++) f->q[i] = (struct queue){.size = QUEUE_MAX, .vector = PVG_VIRTIO_MSI_NO_VECTOR};
  f->config_vector = PVG_VIRTIO_MSI_NO_VECTOR;
  for (int e = 0; e < 8; e++) f->msix[e][3] = 1;  // masked at reset
}

__attribute__((noreturn)) static void bad_width(uint64_t a, uint32_t size) {
  printf("BADWIDTH 0x%llx %u\n", (unsigned long long)a, size);
  exit(0);
}

static uint64_t ecam_of(int i) { return (uint64_t)PVG_ECAM_BASE + (uint64_t)(PVG_VIRTIO_PCI_FIRST_SLOT + 2 * binding + i) * PVG_ECAM_DEVICE_STRIDE; }
static uint32_t bar_of(const struct function* f) { return get(f->cfg + PVG_PCI_BAR0, 4) & 0xfffffff0u; }

/** Which function and what offset: kind 'c' config space, 'b' BAR0 (only while memory space is on). */
static struct function* decode(uint64_t a, char* kind, uint32_t* off) {
  for (int i = 0; i < 2; i++) {
    struct function* f = &fns[i];
    if (a >= ecam_of(i) && a < ecam_of(i) + CFG_BYTES) return *kind = 'c', *off = (uint32_t)(a - ecam_of(i)), f;
    uint32_t bar = bar_of(f);
    if (bar != 0 && a >= bar && a < (uint64_t)bar + BAR_BYTES && (get(f->cfg + PVG_PCI_COMMAND, 2) & PVG_PCI_COMMAND_MEMORY))
      return *kind = 'b', *off = (uint32_t)(a - bar), f;
  }
  printf("UNASSIGNED 0x%llx\n", (unsigned long long)a);
  exit(0);
}

static const uint8_t WIDTH[0x38] = {
    [0x00] = 4, [0x04] = 4, [0x08] = 4, [0x0c] = 4, [0x10] = 2, [0x12] = 2, [0x14] = 1, [0x15] = 1, [0x16] = 2, [0x18] = 2,
    [0x1a] = 2, [0x1c] = 2, [0x1e] = 2, [0x20] = 4, [0x24] = 4, [0x28] = 4, [0x2c] = 4, [0x30] = 4, [0x34] = 4,
};

static struct queue* selq(struct function* f) { return f->qsel < 2 ? &f->q[f->qsel] : NULL; }

static uint64_t common_read(struct function* f, uint32_t off) {
  struct queue* q = selq(f);
  switch (off) {
    case 0x00:
      return f->dfsel;
    case 0x04:
      return f->dfsel == 1 && !is("no-version1") ? 1 : 0;  // VIRTIO_F_VERSION_1 only
    case 0x10:
      return f->config_vector;
    case 0x12:
      return 2;
    case 0x14:
      return f->status;
    case 0x16:
      return f->qsel;
    case 0x18:
      return q ? (is("queue-small") ? 16 : q->size) : 0;
    case 0x1a:
      return q && !is("vector-refused") ? q->vector : PVG_VIRTIO_MSI_NO_VECTOR;
    case 0x1c:
      return q && !is("enable-refused") ? q->enabled : 0;
    case 0x1e:
      return q ? (is("doorbell-outside") ? 5 : f->qsel) : 0;
    default:
      return 0;
  }
}

static void common_write(struct function* f, uint32_t off, uint32_t v) {
  struct queue* q = selq(f);
  switch (off) {
    case 0x00:
      f->dfsel = v;
      break;
    case 0x08:
      f->drfsel = v;
      break;
    case 0x0c:
      if (f->drfsel < 2) f->features[f->drfsel] = v;
      break;
    case 0x10:
      f->config_vector = v < 3 ? v : PVG_VIRTIO_MSI_NO_VECTOR;
      break;
    case 0x14:
      if (v == 0) {  // reset
        uint8_t cfg[CFG_BYTES];
        memcpy(cfg, f->cfg, CFG_BYTES);
        const char* name = f->name;
        uint32_t mask = f->bar_mask, notifies = f->notifies;
        uint32_t msix[8][4];
        memcpy(msix, f->msix, sizeof msix);
        init_function(f, name);
        memcpy(f->cfg, cfg, CFG_BYTES);
        memcpy(f->msix, msix, sizeof msix);
        f->bar_mask = mask, f->notifies = notifies;
        return;
      }
      if ((v & PVG_VIRTIO_STATUS_FEATURES_OK) && (is("features-refused") || f->features[1] != 1 || f->features[0] != 0)) v &= ~PVG_VIRTIO_STATUS_FEATURES_OK;
      f->status = v;
      break;
    case 0x16:
      f->qsel = v;
      break;
    case 0x18:
      if (q && v <= QUEUE_MAX) q->size = v;
      break;
    case 0x1a:
      if (q) q->vector = v < 3 ? v : PVG_VIRTIO_MSI_NO_VECTOR;
      break;
    case 0x1c:
      if (q) q->enabled = 1;
      break;
    case 0x20:
      if (q) q->desc = (q->desc & ~0xffffffffull) | v;
      break;
    case 0x24:
      if (q) q->desc = (q->desc & 0xffffffffull) | ((uint64_t)v << 32);
      break;
    case 0x28:
      if (q) q->avail = (q->avail & ~0xffffffffull) | v;
      break;
    case 0x2c:
      if (q) q->avail = (q->avail & 0xffffffffull) | ((uint64_t)v << 32);
      break;
    case 0x30:
      if (q) q->used = (q->used & ~0xffffffffull) | v;
      break;
    case 0x34:
      if (q) q->used = (q->used & 0xffffffffull) | ((uint64_t)v << 32);
      break;
    default:
      printf("READONLY 0x%x\n", off);
      exit(0);
  }
}

static uint64_t device_read(struct function* f, uint32_t off) {
  if (off == 2) return f->select == PVG_VIRTIO_INPUT_CFG_ID_NAME && f->subsel == 0 ? strlen(f->name) : 0;
  if (off >= 8 && off - 8 < strlen(f->name) && f->select == PVG_VIRTIO_INPUT_CFG_ID_NAME) return (uint8_t)f->name[off - 8];
  return 0;
}

uint64_t host_mmio_read(uint64_t a, uint32_t size) {
  char kind;
  uint32_t off;
  struct function* f = decode(a, &kind, &off);
  if (kind == 'c') return off + size <= CFG_BYTES ? get(f->cfg + off, size) : 0;
  if (off < R_ISR) {
    if (off >= sizeof WIDTH || WIDTH[off] != size) bad_width(a, size);
    return common_read(f, off);
  }
  if (off >= R_DEVICE && off < R_NOTIFY) {
    if (size != 1) bad_width(a, size);
    return device_read(f, off - R_DEVICE);
  }
  if (off >= R_TABLE && off < R_PBA) return f->msix[(off - R_TABLE) / 16 % 8][(off % 16) / 4];
  return 0;
}

void host_mmio_write(uint64_t a, uint32_t size, uint64_t v) {
  char kind;
  uint32_t off;
  struct function* f = decode(a, &kind, &off);
  if (kind == 'c') {
    if (off == PVG_PCI_BAR0 && size == 4) {
      if (!is("bar-io")) put32(f->cfg + off, ((uint32_t)v & f->bar_mask));
    } else if (off == PVG_PCI_COMMAND && size == 2) {
      put16(f->cfg + off, (uint32_t)v);
    } else if (off == CAP_MSIX + PVG_PCI_MSIX_FLAGS && size == 2) {
      put16(f->cfg + off, ((uint32_t)v & 0xc000u) | (get(f->cfg + off, 2) & 0x7ffu));
    } else {
      printf("CFGWRITE 0x%x %u\n", off, size);
      exit(0);
    }
    return;
  }
  if (off < R_ISR) {
    if (off >= sizeof WIDTH || WIDTH[off] != size) bad_width(a, size);
    return common_write(f, off, (uint32_t)v);
  }
  if (off >= R_DEVICE && off < R_NOTIFY) {
    if (size != 1) bad_width(a, size);
    if (off == R_DEVICE) f->select = (uint8_t)v;
    if (off == R_DEVICE + 1) f->subsel = (uint8_t)v;
    return;
  }
  if (off >= R_NOTIFY && off < R_TABLE) {
    if (size != 2 || off - R_NOTIFY != 4 * v) bad_width(a, size);
    f->notifies++;
    return;
  }
  if (off >= R_TABLE && off < R_TABLE + 3 * 16 && size == 4) {
    f->msix[(off - R_TABLE) / 16][(off % 16) / 4] = (uint32_t)v;
    return;
  }
  printf("BARWRITE 0x%x %u\n", off, size);
  exit(0);
}

void host_hypercall(uint32_t call, uint32_t value) {
  if (call == PVG_HC_FAIL) printf("FAIL %u %s\n", value, (const char*)host_boot.fail_message);
  if (call == PVG_HC_HALT) return;
  exit(0);
}

/** The device's event path on queue 0: the next available buffer, the event into it, a used entry. */
static void device_write(struct function* f, uint16_t type, uint16_t code, int32_t value) {
  struct queue* q = &f->q[0];
  uint8_t* avail = (uint8_t*)(uintptr_t)q->avail;
  uint8_t* used = (uint8_t*)(uintptr_t)q->used;
  uint8_t* desc = (uint8_t*)(uintptr_t)q->desc;
  if (!q->enabled || !(f->status & PVG_VIRTIO_STATUS_DRIVER_OK) || get(avail + 2, 2) == q->next_avail) {
    printf("NOBUFFER %s\n", f->name);
    exit(0);
  }
  uint32_t id = get(avail + 4 + 2 * (q->next_avail % q->size), 2);
  q->next_avail++;
  uint8_t* buf = (uint8_t*)(uintptr_t)get(desc + 16 * id, 4) + ((uint64_t)get(desc + 16 * id + 4, 4) << 32);
  memcpy(buf, &type, 2);
  memcpy(buf + 2, &code, 2);
  memcpy(buf + 4, &value, 4);
  put32(used + 4 + 8 * (q->used_idx % q->size), id);
  put32(used + 8 + 8 * (q->used_idx % q->size), 8);
  q->used_idx++;
  __atomic_store_n((uint16_t*)(used + 2), q->used_idx, __ATOMIC_RELEASE);
}

/** desktop's frame: the mode's size and its cursor. */
struct desktop {
  uint32_t width, height;
  struct desktop_cursor cursor;
};

static void apply(void* ctx, const struct input_report* r) {
  struct desktop* d = ctx;
  desktop_cursor_report(&d->cursor, r, d->width, d->height);
}

int main(int argc, char** argv) {
  if (argc > 1) odd = argv[1];
  binding = argc > 2 ? (uint32_t)atoi(argv[2]) : 0;
  init_function(&fns[0], "PVG Virtio Keyboard");
  init_function(&fns[1], "PVG Virtio Tablet");
  host_boot = (struct pvg_boot){.vcpu = 3, .input_binding = binding, .input_transport = PVG_INPUT_TRANSPORT_PCI};
  static uint8_t ram[16 * 4096] __attribute__((aligned(4096)));
  struct pages pages;
  pages_init(&pages, (uint64_t)(uintptr_t)ram, (uint64_t)(uintptr_t)ram + sizeof ram);
  static struct guest_input in;
  guest_input_start(&in, &pages);
  for (int i = 0; i < 2; i++) {
    struct function* f = &fns[i];
    const struct virtio_input* v = i == 0 ? &in.keyboard : &in.tablet;
    printf("setup %d bar 0x%x command %u msixflags 0x%x status 0x%x name %.*s qsize %u qenabled %u qvector %u configvector %u areas %d", i, bar_of(f),
           get(f->cfg + PVG_PCI_COMMAND, 2), get(f->cfg + CAP_MSIX + 2, 2), f->status, (int)v->name_len, v->name, f->q[0].size, f->q[0].enabled, f->q[0].vector,
           f->config_vector,
           f->q[0].desc == (uint64_t)(uintptr_t)v->queue.page + IQ_DESC && f->q[0].avail == (uint64_t)(uintptr_t)v->queue.page + IQ_AVAIL &&
               f->q[0].used == (uint64_t)(uintptr_t)v->queue.page + IQ_USED);
    for (int e = 0; e < 3; e++) printf(" msix%d 0x%x 0x%x 0x%x %u", e, f->msix[e][0], f->msix[e][1], f->msix[e][2], f->msix[e][3]);
    printf("\n");
  }
  struct desktop desk = {0};
  char line[128];
  while (fgets(line, sizeof line, stdin)) {
    char dev;
    int type, code, value;
    unsigned n, w, h;
    if (sscanf(line, "frame %u %u %u", &n, &w, &h) == 3) {
      desk.width = w, desk.height = h;
      uint32_t before = host_boot.input_events_taken;
      guest_input_take(&in, apply, &desk);
      uint32_t x, y;
      desktop_cursor_at(&desk.cursor, n, w, h, &x, &y);
      printf("move %u %u taken %u notifies %u %u\n", x, y, host_boot.input_events_taken - before, fns[0].notifies, fns[1].notifies);
    } else if (sscanf(line, "%c %d %d %d", &dev, &type, &code, &value) == 4 && (dev == 'k' || dev == 't')) {
      device_write(&fns[dev == 'k' ? 0 : 1], (uint16_t)type, (uint16_t)code, value);
    }
  }
  return 0;
}
