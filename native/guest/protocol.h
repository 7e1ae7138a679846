// docs/protocol.md and the machine's memory map as the C guest sees them. Mirrors
// actors/vcpu/guest/protocol.ts and actors/vcpu/layout.ts name for name (PVG_ + the TS name,
// enum members as PVG_<ENUM>_<MEMBER>); test/native/guest-protocol.test.ts checks every value.
// Only plain #defines, one per line, so the test can parse them.
#ifndef PVG_GUEST_PROTOCOL_H
#define PVG_GUEST_PROTOCOL_H

// protocol.ts: constants
#define PVG_ID 0x31475650u
#define PVG_VERSION 0x00010000u
#define PVG_RESET_MAGIC 0x52534554u
#define PVG_IOSFC_ID 0x46534f49u
#define PVG_GFX_WINDOW_BYTES 0x4000u
#define PVG_IOSFC_WINDOW_BYTES 0x10000u
#define PVG_RING_HEADER_BYTES 64u
#define PVG_MAX_COMMAND_WORDS 1024u
#define PVG_MAX_DAMAGE_RECTS 16u
#define PVG_MAX_MAP_RANGES 64u
#define PVG_PIXEL_FORMAT_BGRA 0x42475241u

// protocol.ts: Reg (gfx window offsets)
#define PVG_REG_ID 0x000u
#define PVG_REG_VERSION 0x004u
#define PVG_REG_FEATURES 0x008u
#define PVG_REG_STATUS 0x00cu
#define PVG_REG_ERROR_CODE 0x010u
#define PVG_REG_ERROR_COUNT 0x014u
#define PVG_REG_ERROR_ACK 0x018u
#define PVG_REG_IRQ_STATUS 0x020u
#define PVG_REG_IRQ_ACK 0x024u
#define PVG_REG_IRQ_MASK 0x028u
#define PVG_REG_RING_GPA_LO 0x040u
#define PVG_REG_RING_GPA_HI 0x044u
#define PVG_REG_RING_SIZE 0x048u
#define PVG_REG_RING_CONTROL 0x04cu
#define PVG_REG_DOORBELL 0x050u
#define PVG_REG_RING_HEAD 0x054u
#define PVG_REG_DISPLAY_COUNT 0x060u
#define PVG_REG_DISPLAY_SELECT 0x064u
#define PVG_REG_MODE_COUNT 0x068u
#define PVG_REG_MODE_SELECT 0x06cu
#define PVG_REG_MODE_WIDTH 0x070u
#define PVG_REG_MODE_HEIGHT 0x074u
#define PVG_REG_MODE_REFRESH 0x078u
#define PVG_REG_CURRENT_MODE 0x07cu
#define PVG_REG_FENCE_COMPLETED 0x090u
#define PVG_REG_RESET 0x0a0u

// protocol.ts: IosfcReg (IOSurface window offsets)
#define PVG_IOSFC_REG_ID 0x00u
#define PVG_IOSFC_REG_STATUS 0x04u
#define PVG_IOSFC_REG_ERROR_CODE 0x08u
#define PVG_IOSFC_REG_ERROR_ACK 0x0cu
#define PVG_IOSFC_REG_SURFACE 0x10u
#define PVG_IOSFC_REG_GPA_LO 0x14u
#define PVG_IOSFC_REG_GPA_HI 0x18u
#define PVG_IOSFC_REG_WIDTH 0x1cu
#define PVG_IOSFC_REG_HEIGHT 0x20u
#define PVG_IOSFC_REG_STRIDE 0x24u
#define PVG_IOSFC_REG_FLAGS 0x28u
#define PVG_IOSFC_REG_COMMAND 0x2cu
#define PVG_IOSFC_REG_MAPPED 0x30u
#define PVG_IOSFC_REG_IRQ_STATUS 0x40u
#define PVG_IOSFC_REG_IRQ_ACK 0x44u
#define PVG_IOSFC_REG_IRQ_MASK 0x48u

// protocol.ts: Status bits
#define PVG_STATUS_READY 1u
#define PVG_STATUS_RUNNING 2u
#define PVG_STATUS_ERROR 4u

// protocol.ts: IrqCause bits
#define PVG_IRQ_CAUSE_FENCE 1u
#define PVG_IRQ_CAUSE_ERROR 2u
#define PVG_IRQ_CAUSE_RING_IDLE 4u

// protocol.ts: Op
#define PVG_OP_NOP 0x00u
#define PVG_OP_CTX_CREATE 0x01u
#define PVG_OP_CTX_DESTROY 0x02u
#define PVG_OP_MAP 0x03u
#define PVG_OP_UNMAP 0x04u
#define PVG_OP_READ_MEM 0x05u
#define PVG_OP_SET_MODE 0x10u
#define PVG_OP_FILL_RECT 0x11u
#define PVG_OP_COPY_RECT 0x12u
#define PVG_OP_BLIT 0x13u
#define PVG_OP_BLIT_SURFACE 0x14u
#define PVG_OP_PRESENT 0x18u
#define PVG_OP_CURSOR_DEFINE 0x20u
#define PVG_OP_CURSOR_SHOW 0x21u
#define PVG_OP_CURSOR_MOVE 0x22u
#define PVG_OP_FENCE 0x30u

// protocol.ts: ERROR_NAMES (ERROR_CODE values)
#define PVG_ERROR_NONE 0u
#define PVG_ERROR_BAD_REGISTER 1u
#define PVG_ERROR_BAD_RING_SETUP 2u
#define PVG_ERROR_BAD_COMMAND 3u
#define PVG_ERROR_BAD_CONTEXT 4u
#define PVG_ERROR_BAD_MAPPING 5u
#define PVG_ERROR_BAD_UNMAP 6u
#define PVG_ERROR_ACCESS_FAULT 7u
#define PVG_ERROR_BAD_DISPLAY 8u
#define PVG_ERROR_BAD_RECT 9u
#define PVG_ERROR_BAD_CURSOR 10u
#define PVG_ERROR_BAD_SURFACE 11u
#define PVG_ERROR_HOST_REFUSED 12u
#define PVG_ERROR_KINDS 13u

// layout.ts: the memory map
#define PVG_RAM_BASE 0x40000000u
#define PVG_MMIO_GFX_BASE 0x30200000u
#define PVG_MMIO_IOSFC_OFFSET 0x10000u
#define PVG_MMIO_DEVICE_STRIDE 0x20000u
#define PVG_ECAM_BASE 0xb0000000u
#define PVG_ECAM_FUNCTION_BYTES 0x1000u
#define PVG_ECAM_DEVICE_STRIDE 0x8000u
#define PVG_PCI_BAR_BASE 0xc0000000u
#define PVG_PCI_BAR_STRIDE 0x10000u
#define PVG_MSI_ADDRESS_BASE 0xfee00000u
#define PVG_MSI_VECTORS_ENABLED 4u
#define PVG_MSI_BLOCK_BASE 0x80u

// layout.ts deviceVectors(d): gfx = 32 + 3d, iosfc = 33 + 3d, msi = MSI_BLOCK_BASE + 4d (4 vectors)
#define PVG_VECTOR_GFX_BASE 32u
#define PVG_VECTOR_IOSFC_BASE 33u
#define PVG_VECTORS_PER_DEVICE 3u

// program.ts: PCI identification
#define PVG_PCI_VENDOR_APPLE 0x106bu
#define PVG_PCI_MSI_CAP_ID 0x05u

#define PVG_COMMAND_HEADER(op, words) ((uint32_t)(op) | ((uint32_t)(words) << 16))

#endif
