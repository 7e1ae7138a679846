// Colours: one per family of event names, so a person can tell MMIO from engine work from
// callbacks at a glance; lock waits are red, the qemu model's BQL holds pink, its AIO_WAIT_WHILE
// waits yellow and its bottom halves brown.

export type Family =
  'mmioRead' | 'mmioWrite' | 'command' | 'encode' | 'callback' | 'interrupt' | 'lock' | 'lockHold' | 'aioWait' | 'bottomHalf' | 'display' | 'error' | 'other';

export interface FamilyStyle {
  fill: string;
  /** Text colour on top of the fill. */
  ink: string;
  legend: string;
}

export const FAMILIES: Record<Family, FamilyStyle> = {
  mmioRead: { fill: '#2f6fbf', ink: '#ffffff', legend: 'MMIO read' },
  mmioWrite: { fill: '#8dbbea', ink: '#10223a', legend: 'MMIO write' },
  command: { fill: '#5cb85c', ink: '#0d2b0d', legend: 'engine command' },
  encode: { fill: '#1b6e34', ink: '#ffffff', legend: 'encode / readback' },
  callback: { fill: '#8e5cc4', ink: '#ffffff', legend: 'callback (task, map, unmap, read memory)' },
  interrupt: { fill: '#f08c00', ink: '#2b1800', legend: 'interrupt' },
  lock: { fill: '#d62728', ink: '#ffffff', legend: 'lock wait (BQL, record lock, task mutex)' },
  lockHold: { fill: '#f4b6c2', ink: '#4a0d1a', legend: 'BQL held (qemu: a vCPU across an MMIO access)' },
  aioWait: { fill: '#f5e26b', ink: '#2b2600', legend: 'AIO_WAIT_WHILE (qemu: the vCPU waits, running BHs)' },
  bottomHalf: { fill: '#8c564b', ink: '#ffffff', legend: 'bottom half under the BQL (qemu)' },
  display: { fill: '#17a2a2', ink: '#ffffff', legend: 'display / compositor' },
  error: { fill: '#7a1f1f', ink: '#ffffff', legend: 'error' },
  other: { fill: '#9e9e9e', ink: '#1a1a1a', legend: 'other' },
};

/** Legend order. */
export const FAMILY_ORDER: readonly Family[] = [
  'mmioRead',
  'mmioWrite',
  'command',
  'encode',
  'callback',
  'interrupt',
  'display',
  'lock',
  'lockHold',
  'aioWait',
  'bottomHalf',
  'error',
  'other',
];

export function familyOf(name: string): Family {
  if (/^apple_(gfx|iosfc)_read$/.test(name)) return 'mmioRead';
  if (/^apple_(gfx|iosfc)_write$/.test(name)) return 'mmioWrite';
  if (name === 'engine_command') return 'command';
  if (name === 'engine_encode') return 'encode';
  if (name === 'engine_error') return 'error';
  if (/^apple_(gfx|iosfc)_(create_task|destroy_task|map_memory|unmap_memory|read_memory)$/.test(name)) return 'callback';
  if (/raise_irq$/.test(name) || name.startsWith('irq_')) return 'interrupt';
  if (name === 'lock_wait' || name === 'task_mutex_wait') return 'lock';
  if (name === 'bql_hold') return 'lockHold';
  if (name === 'aio_wait') return 'aioWait';
  if (name === 'bh' || name === 'aio_poll_bh') return 'bottomHalf';
  if (name === 'refresh') return 'display';
  if (/^apple_gfx_(new_frame|mode_change|cursor_\w+)$/.test(name) || name.startsWith('compositor_')) return 'display';
  return 'other';
}

/** A short label for a span or instant drawn in the picture. */
export function shortName(name: string): string {
  if (name === 'lock_wait') return 'lock wait';
  if (name === 'bql_hold') return 'BQL';
  if (name === 'aio_wait') return 'AIO_WAIT_WHILE';
  if (name === 'aio_poll_bh') return 'BH (lent)';
  return name
    .replace(/^apple_(gfx|iosfc)_/, '')
    .replace(/^(engine|compositor)_/, '')
    .replace(/_/g, ' ');
}

export const FLOW_COLOURS = {
  mmio: { stroke: '#14306b', legend: 'MMIO read flow: vCPU → device actor → engine mmio → vCPU' },
  callback: { stroke: '#6a1fa0', legend: 'callback flow: engine thread → device actor → engine thread' },
  other: { stroke: '#555555', legend: 'other flow' },
} as const;

export type FlowKind = keyof typeof FLOW_COLOURS;

export const COUNTER_COLOUR = { stroke: '#b35900', fill: '#fbe3cc' };

export const FONT = "ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Helvetica, Arial, sans-serif";
