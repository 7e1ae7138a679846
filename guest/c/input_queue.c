#include "input_queue.h"

static inline void put16(uint8_t* p, uint16_t v) { *(volatile uint16_t*)p = v; }
static inline void put32(uint8_t* p, uint32_t v) { *(volatile uint32_t*)p = v; }
static inline void put64(uint8_t* p, uint64_t v) { *(volatile uint64_t*)p = v; }
static inline uint16_t get16(const uint8_t* p) { return *(const volatile uint16_t*)p; }
static inline uint32_t get32(const uint8_t* p) { return *(const volatile uint32_t*)p; }

/** The device publishes an entry before the index: read the index with acquire, then the entries. */
static inline uint16_t used_index(const struct input_queue* q) { return __atomic_load_n((const uint16_t*)(q->page + IQ_USED + 2), __ATOMIC_ACQUIRE); }

/** Puts buffer `id` in the available ring, then publishes the index (entry first, virtio 1.2 §2.7.13). */
static void offer(struct input_queue* q, uint16_t id) {
  put16(q->page + IQ_AVAIL + 4 + 2 * (q->avail_idx % IQ_SIZE), id);
  q->avail_idx = (uint16_t)(q->avail_idx + 1);
  __atomic_store_n((uint16_t*)(q->page + IQ_AVAIL + 2), q->avail_idx, __ATOMIC_RELEASE);
}

void iq_init(struct input_queue* q, uint8_t* page, uint64_t gpa) {
  q->page = page;
  q->last_used = 0;
  q->avail_idx = 0;
  for (uint32_t i = 0; i < IQ_PAGE; i += 4) put32(page + i, 0);
  for (uint16_t i = 0; i < IQ_SIZE; i++) {
    uint8_t* d = page + IQ_DESC + 16u * i;
    put64(d, gpa + IQ_BUFFERS + PVG_VIRTIO_INPUT_EVENT_BYTES * i);
    put32(d + 8, PVG_VIRTIO_INPUT_EVENT_BYTES);
    put16(d + 12, PVG_VIRTQ_DESC_F_WRITE);
    offer(q, i);
  }
}

bool iq_pending(const struct input_queue* q) { return used_index(q) != q->last_used; }

uint32_t iq_take(struct input_queue* q, struct input_event out[IQ_SIZE], uint32_t* consumed) {
  uint16_t used = used_index(q);
  uint32_t n = 0, taken = 0;
  while (q->last_used != used && taken < IQ_SIZE) {
    const uint8_t* slot = q->page + IQ_USED + 4 + 8 * (q->last_used % IQ_SIZE);
    uint32_t id = get32(slot), len = get32(slot + 4);
    q->last_used = (uint16_t)(q->last_used + 1);
    taken++;
    // An id outside the table names no buffer of ours: skipped, nothing to give back.
    if (id >= IQ_SIZE) continue;
    if (len == PVG_VIRTIO_INPUT_EVENT_BYTES) {
      const uint8_t* e = q->page + IQ_BUFFERS + PVG_VIRTIO_INPUT_EVENT_BYTES * id;
      out[n++] = (struct input_event){.type = get16(e), .code = get16(e + 2), .value = (int32_t)get32(e + 4)};
    }
    offer(q, (uint16_t)id);
  }
  *consumed = taken;
  return n;
}
