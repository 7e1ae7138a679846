// Guest memory: one SharedArrayBuffer, a region map, and checked guest-physical translation.
export {
  type GuestAccess,
  type GuestMemoryError,
  type GuestMemoryErrorCode,
  type GuestMemoryErrnoValue,
  GuestMemoryErrno,
  GuestMemoryAccessError,
  GuestMemoryConfigError,
  guestMemoryErrorCode,
  formatGuestValue,
} from './errors.js';
export {
  type GuestMemoryConfig,
  type GuestRegion,
  type GuestRegionConfig,
  GUEST_PAGE_SIZE,
  DEFAULT_MAX_TOTAL_BYTES,
  layoutRegions,
  checkRegionDescriptors,
} from './layout.js';
export { type TranslateResult, GuestAddressMap } from './translate.js';
export { type GuestMemoryDescriptor, type CreateGuestMemoryOptions, GuestMemory, createGuestMemory, attachGuestMemory } from './guest-memory.js';
