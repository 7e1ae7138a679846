#include "virtio_pci.h"

#include <stdbool.h>

#include "io.h"
#include "layout.h"
#include "protocol.h"
#include "virtio_mmio.h"
#include "virtio_transport.h"

// At most this many capabilities are followed (a list that loops is refused).
#define MAX_CAPABILITIES 48u
// MSI-X table entries: 0 configuration changes, 1 + q queue q (or 1 for every queue).
#define CONFIG_ENTRY 0u
#define QUEUE_ENTRY 1u
#define QUEUES 2u

uint64_t virtio_pci_ecam(uint32_t index) { return layout_ecam_base(PVG_VIRTIO_PCI_FIRST_SLOT + index); }
uint64_t virtio_pci_bar(uint32_t index) { return layout_pci_bar(PVG_VIRTIO_PCI_FIRST_SLOT + index); }
uint32_t virtio_pci_vector(uint32_t index, uint32_t queue) { return PVG_VECTOR_VIRTIO_PCI_BASE + 2 * index + (queue ? 1 : 0); }

static uint32_t cfg8(const struct virtio_pci* p, uint32_t o) { return mmio_read8(p->ecam + o); }
static uint32_t cfg16(const struct virtio_pci* p, uint32_t o) { return mmio_read16(p->ecam + o); }
static uint32_t cfg32(const struct virtio_pci* p, uint32_t o) { return mmio_read32(p->ecam + o); }
static uint32_t common16(const struct virtio_pci* p, uint32_t o) { return mmio_read16(p->common + o); }
static void set_common16(const struct virtio_pci* p, uint32_t o, uint32_t v) { mmio_write16(p->common + o, (uint16_t)v); }
static void set_common32(const struct virtio_pci* p, uint32_t o, uint32_t v) { mmio_write32(p->common + o, v); }

/** A structure's capability as found: where it is in config space and in BAR0. */
struct found {
  uint32_t at;  // 0: none found
  uint32_t offset, length;
};

/** Sizes and places BAR0 (32-bit memory, a power of two no larger than its slot, aligned); returns its size. */
static uint32_t place_bar(struct virtio_pci* p) {
  if ((cfg32(p, PVG_PCI_BAR0) & 0x7u) != 0) virtio_refuse(p->ecam, "BAR0 is not a 32-bit memory BAR");
  mmio_write32(p->ecam + PVG_PCI_BAR0, 0xffffffffu);
  uint32_t size = ~(cfg32(p, PVG_PCI_BAR0) & 0xfffffff0u) + 1;
  if (size == 0 || (size & (size - 1)) != 0 || size > PVG_PCI_BAR_STRIDE || p->bar % size != 0) virtio_refuse(p->ecam, "BAR0 reports a bad size");
  mmio_write32(p->ecam + PVG_PCI_BAR0, (uint32_t)p->bar);
  return size;
}

/** vp_modern_map_capability: long enough, aligned, inside BAR0; returns its address, *length clipped to the BAR. */
static uint64_t structure(const struct virtio_pci* p, const struct found* f, uint32_t bar_size, uint32_t min_length, uint32_t align, uint32_t* length) {
  if (f->at == 0) virtio_refuse(p->ecam, "a virtio-pci structure capability is missing");
  uint64_t need = min_length > 0 ? min_length : 1;
  if (f->length < min_length || f->offset % align != 0 || (uint64_t)f->offset + need > bar_size)
    virtio_refuse(p->ecam, "a virtio-pci structure does not fit BAR0");
  uint64_t room = (uint64_t)bar_size - f->offset;
  *length = f->length < room ? f->length : (uint32_t)room;
  return p->bar + f->offset;
}

/** MSI-X as msix_capability_init: memory space and bus mastering first (the table is in BAR0), Enable with Function Mask, the entries, Function Mask off. */
static void enable_msix(struct virtio_pci* p, uint32_t msix, uint32_t bar_size, uint32_t index, uint32_t vcpu) {
  if (msix == 0) virtio_refuse(p->ecam, "no MSI-X capability");
  p->table_size = (cfg16(p, msix + PVG_PCI_MSIX_FLAGS) & PVG_PCI_MSIX_FLAGS_QSIZE) + 1;
  if (p->table_size < 2) virtio_refuse(p->ecam, "the MSI-X table has a single entry");
  uint32_t table = cfg32(p, msix + PVG_PCI_MSIX_TABLE), pba = cfg32(p, msix + PVG_PCI_MSIX_PBA);
  if ((table & PVG_PCI_MSIX_BIR_MASK) != 0 || (pba & PVG_PCI_MSIX_BIR_MASK) != 0) virtio_refuse(p->ecam, "the MSI-X table or PBA is not in BAR0");
  uint64_t table_at = table & ~PVG_PCI_MSIX_BIR_MASK, pba_at = pba & ~PVG_PCI_MSIX_BIR_MASK;
  if (table_at + (uint64_t)p->table_size * PVG_PCI_MSIX_ENTRY_BYTES > bar_size || pba_at + 8 > bar_size)
    virtio_refuse(p->ecam, "the MSI-X table or PBA does not fit BAR0");
  mmio_write16(p->ecam + PVG_PCI_COMMAND, (uint16_t)(cfg16(p, PVG_PCI_COMMAND) | PVG_PCI_COMMAND_MEMORY | PVG_PCI_COMMAND_MASTER));
  mmio_write16(p->ecam + msix + PVG_PCI_MSIX_FLAGS, (uint16_t)(PVG_PCI_MSIX_FLAGS_ENABLE | PVG_PCI_MSIX_FLAGS_MASKALL));
  for (uint32_t e = 0; e < p->table_size; e++) {
    uint64_t entry = p->bar + table_at + (uint64_t)e * PVG_PCI_MSIX_ENTRY_BYTES;
    mmio_write32(entry + PVG_PCI_MSIX_ENTRY_ADDRESS_LO, PVG_MSI_ADDRESS_BASE | (vcpu << 12));
    mmio_write32(entry + PVG_PCI_MSIX_ENTRY_ADDRESS_HI, 0);
    mmio_write32(entry + PVG_PCI_MSIX_ENTRY_DATA, virtio_pci_vector(index, e != CONFIG_ENTRY));
    mmio_write32(entry + PVG_PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
  }
  mmio_write16(p->ecam + msix + PVG_PCI_MSIX_FLAGS, (uint16_t)PVG_PCI_MSIX_FLAGS_ENABLE);
}

void vp_probe(struct virtio_pci* p, uint32_t index, uint32_t type, uint32_t vcpu) {
  *p = (struct virtio_pci){.ecam = virtio_pci_ecam(index), .bar = virtio_pci_bar(index)};
  if (cfg16(p, PVG_PCI_VENDOR_ID) != PVG_VIRTIO_PCI_VENDOR_ID || cfg16(p, PVG_PCI_DEVICE_ID) != PVG_VIRTIO_PCI_DEVICE_ID_BASE + type)
    virtio_refuse(p->ecam, "no virtio-pci device of this type");
  uint32_t bar_size = place_bar(p);
  struct found caps[PVG_VIRTIO_PCI_CAP_DEVICE + 1] = {{0}};
  uint32_t msix = 0;
  uint32_t at = cfg8(p, PVG_PCI_CAPABILITY_LIST) & 0xfcu;
  for (uint32_t n = 0; at != 0; n++) {
    if (n == MAX_CAPABILITIES || at < 0x40) virtio_refuse(p->ecam, "the capability list loops or points into the header");
    uint32_t id = cfg8(p, at);
    if (id == PVG_PCI_MSIX_CAP_ID && msix == 0) msix = at;
    // Only BAR0 is placed: a structure in another BAR is not this driver's (vp_modern_probe skips those too).
    if (id == PVG_PCI_CAP_ID_VNDR && cfg8(p, at + PVG_VIRTIO_PCI_CAP_FIELD_BAR) == 0) {
      uint32_t t = cfg8(p, at + PVG_VIRTIO_PCI_CAP_FIELD_CFG_TYPE);
      if (t >= PVG_VIRTIO_PCI_CAP_COMMON && t <= PVG_VIRTIO_PCI_CAP_DEVICE && caps[t].at == 0)
        caps[t] = (struct found){at, cfg32(p, at + PVG_VIRTIO_PCI_CAP_FIELD_OFFSET), cfg32(p, at + PVG_VIRTIO_PCI_CAP_FIELD_LENGTH)};
    }
    at = cfg8(p, at + PVG_VIRTIO_PCI_CAP_FIELD_NEXT) & 0xfcu;
  }
  uint32_t unused;
  p->common = structure(p, &caps[PVG_VIRTIO_PCI_CAP_COMMON], bar_size, PVG_VIRTIO_PCI_COMMON_CFG_BYTES, 4, &unused);
  p->isr = structure(p, &caps[PVG_VIRTIO_PCI_CAP_ISR], bar_size, 1, 1, &unused);
  p->notify = structure(p, &caps[PVG_VIRTIO_PCI_CAP_NOTIFY], bar_size, 2, 2, &p->notify_len);
  p->device = structure(p, &caps[PVG_VIRTIO_PCI_CAP_DEVICE], bar_size, 0, 4, &p->device_len);
  p->notify_mul = cfg32(p, caps[PVG_VIRTIO_PCI_CAP_NOTIFY].at + PVG_VIRTIO_PCI_CAP_FIELD_NOTIFY_OFF_MULTIPLIER);
  enable_msix(p, msix, bar_size, index, vcpu);
}

uint32_t vp_status(const struct virtio_pci* p) { return mmio_read8(p->common + PVG_VIRTIO_PCI_COMMON_DEVICE_STATUS); }
void vp_set_status(const struct virtio_pci* p, uint32_t status) { mmio_write8(p->common + PVG_VIRTIO_PCI_COMMON_DEVICE_STATUS, (uint8_t)status); }

uint32_t vp_device_features(const struct virtio_pci* p, uint32_t word) {
  set_common32(p, PVG_VIRTIO_PCI_COMMON_DEVICE_FEATURE_SELECT, word);
  return mmio_read32(p->common + PVG_VIRTIO_PCI_COMMON_DEVICE_FEATURE);
}

void vp_set_driver_features(const struct virtio_pci* p, uint32_t word, uint32_t value) {
  set_common32(p, PVG_VIRTIO_PCI_COMMON_DRIVER_FEATURE_SELECT, word);
  set_common32(p, PVG_VIRTIO_PCI_COMMON_DRIVER_FEATURE, value);
}

uint8_t vp_config_read8(const struct virtio_pci* p, uint32_t offset) {
  if (offset >= p->device_len) virtio_refuse(p->ecam, "a configuration byte past the device structure");
  return mmio_read8(p->device + offset);
}

void vp_config_write8(const struct virtio_pci* p, uint32_t offset, uint8_t value) {
  if (offset >= p->device_len) virtio_refuse(p->ecam, "a configuration byte past the device structure");
  mmio_write8(p->device + offset, value);
}

uint32_t vp_queue_max(const struct virtio_pci* p, uint32_t q) {
  set_common16(p, PVG_VIRTIO_PCI_COMMON_QUEUE_SELECT, q);
  return common16(p, PVG_VIRTIO_PCI_COMMON_QUEUE_SIZE);
}

/** Writes a 64-bit queue area as its two 32-bit halves (§4.1.3.1: natural width). */
static void set_area(const struct virtio_pci* p, uint32_t lo, uint64_t gpa) {
  set_common32(p, lo, (uint32_t)gpa);
  set_common32(p, lo + 4, (uint32_t)(gpa >> 32));
}

void vp_set_up_queue(struct virtio_pci* p, uint32_t q, const struct virtio_queue_layout* l) {
  if (q >= QUEUES) virtio_refuse(p->ecam, "a queue this driver does not keep");
  // The configuration vector first, as vp_find_vqs_msix: the reset at the status sequence's start cleared it.
  set_common16(p, PVG_VIRTIO_PCI_COMMON_MSIX_CONFIG, CONFIG_ENTRY);
  if (common16(p, PVG_VIRTIO_PCI_COMMON_MSIX_CONFIG) != CONFIG_ENTRY) virtio_refuse(p->ecam, "the device refused the configuration vector");
  set_common16(p, PVG_VIRTIO_PCI_COMMON_QUEUE_SELECT, q);
  set_common16(p, PVG_VIRTIO_PCI_COMMON_QUEUE_SIZE, l->size);
  set_area(p, PVG_VIRTIO_PCI_COMMON_QUEUE_DESC_LO, l->desc);
  set_area(p, PVG_VIRTIO_PCI_COMMON_QUEUE_DRIVER_LO, l->avail);
  set_area(p, PVG_VIRTIO_PCI_COMMON_QUEUE_DEVICE_LO, l->used);
  uint32_t entry = QUEUE_ENTRY + q < p->table_size ? QUEUE_ENTRY + q : QUEUE_ENTRY;
  set_common16(p, PVG_VIRTIO_PCI_COMMON_QUEUE_MSIX_VECTOR, entry);
  if (common16(p, PVG_VIRTIO_PCI_COMMON_QUEUE_MSIX_VECTOR) != entry) virtio_refuse(p->ecam, "the device refused a queue's vector");
  // vp_modern_map_vq_notify: the doorbell (2 bytes) lies inside the notify structure.
  uint64_t doorbell = (uint64_t)common16(p, PVG_VIRTIO_PCI_COMMON_QUEUE_NOTIFY_OFF) * p->notify_mul;
  if (doorbell + 2 > p->notify_len) virtio_refuse(p->ecam, "a queue's doorbell is outside the notify structure");
  p->doorbell[q] = p->notify + doorbell;
  set_common16(p, PVG_VIRTIO_PCI_COMMON_QUEUE_ENABLE, 1);
  if (common16(p, PVG_VIRTIO_PCI_COMMON_QUEUE_ENABLE) != 1) virtio_refuse(p->ecam, "the device refused its event queue");
}

void vp_notify(const struct virtio_pci* p, uint32_t q) {
  if (q >= QUEUES || p->doorbell[q] == 0) virtio_refuse(p->ecam, "a notify for a queue not set up");
  mmio_write16(p->doorbell[q], (uint16_t)q);
}
