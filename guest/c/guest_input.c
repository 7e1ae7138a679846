#include "guest_input.h"

#include "boot_abi.h"
#include "io.h"

void guest_input_start(struct guest_input* in, struct pages* pages) {
  volatile struct pvg_boot* b = boot_block();
  *in = (struct guest_input){.present = b->input_binding != PVG_NO_INPUT};
  if (!in->present) return;
  uint32_t k = b->input_binding, kind = b->input_transport, vcpu = b->vcpu;
  virtio_input_start(&in->keyboard, kind, 2 * k, vcpu, pages);
  virtio_input_start(&in->tablet, kind, 2 * k + 1, vcpu, pages);
}

bool guest_input_pending(const struct guest_input* in) { return in->present && (iq_pending(&in->keyboard.queue) || iq_pending(&in->tablet.queue)); }

uint32_t guest_input_take(struct guest_input* in, void (*apply)(void* ctx, const struct input_report* r), void* ctx) {
  if (!in->present) return 0;
  volatile struct pvg_boot* b = boot_block();
  struct input_event events[IQ_SIZE];
  struct input_report r;
  uint32_t reports = 0;
  while (iq_pending(&in->keyboard.queue)) {
    uint32_t n = virtio_input_take(&in->keyboard, events);
    b->input_events_taken += n;
    for (uint32_t i = 0; i < n; i++)
      if (key_report(&events[i], &r)) apply(ctx, &r), reports++;
  }
  while (iq_pending(&in->tablet.queue)) {
    uint32_t n = virtio_input_take(&in->tablet, events);
    b->input_events_taken += n;
    for (uint32_t i = 0; i < n; i++)
      if (pointer_feed(&in->pointer, &events[i], &r)) apply(ctx, &r), reports++;
  }
  return reports;
}

void guest_input_wait(const struct guest_input* in) {
  volatile struct pvg_boot* b = boot_block();
  uint32_t handled = b->interrupts_handled;
  if (guest_input_pending(in)) return;
  b->halts++;
  hypercall(PVG_HC_HALT, handled);
}
