// A picture of a trace without Perfetto: one window of a Chrome Trace Event timeline drawn as SVG
// (a row per thread, spans, instants, flow arrows, counters, a time axis and a legend). Pure and
// deterministic: the same trace and options give the same string. docs/tracing.md shows one.
import type { ChromeTrace } from './chrome.js';
import { buildModel } from './svg/model.js';
import { renderTimeline } from './svg/render.js';
import { DEFAULT_WINDOW_US, autoWindow, type TimeWindow } from './svg/window.js';

export { DEFAULT_WINDOW_US, type TimeWindow } from './svg/window.js';

export interface TimelineSvgOptions {
  /** Start of the window, µs since the trace's first event. Without fromUs and toUs a window is chosen. */
  fromUs?: number;
  /** End of the window (µs); with only one of fromUs/toUs the window is DEFAULT_WINDOW_US long. */
  toUs?: number;
  /** Picture width in pixels (default 1200, 480 to 8000). */
  width?: number;
  title?: string;
  /** At most this many shapes (span boxes, ticks, flow hops); the rest are counted in a note. Default 4000. */
  maxElements?: number;
}

const DEFAULT_WIDTH = 1200;
const DEFAULT_MAX_ELEMENTS = 4000;

function checkTime(name: string, v: number | undefined): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw new RangeError(`${name} must be a finite number of µs, got ${String(v)}`);
}

/**
 * The window a picture of this trace shows: the one asked for, or (without fromUs/toUs) about
 * 2 ms in the middle of the run around a complete MMIO-read flow. Null for a trace with no events.
 */
export function timelineWindow(trace: ChromeTrace, options: Pick<TimelineSvgOptions, 'fromUs' | 'toUs'> = {}): TimeWindow | null {
  checkTime('fromUs', options.fromUs);
  checkTime('toUs', options.toUs);
  const { fromUs, toUs } = options;
  if (fromUs !== undefined && toUs !== undefined) {
    if (!(toUs > fromUs)) throw new RangeError(`the window must end after it starts, got ${fromUs} to ${toUs} µs`);
    return { fromUs, toUs };
  }
  if (fromUs !== undefined) return { fromUs, toUs: fromUs + DEFAULT_WINDOW_US };
  if (toUs !== undefined) return { fromUs: toUs - DEFAULT_WINDOW_US, toUs };
  return autoWindow(buildModel(trace));
}

/** Draws a window of the trace as a standalone SVG document. */
export function toTimelineSvg(trace: ChromeTrace, options: TimelineSvgOptions = {}): string {
  const width = options.width ?? DEFAULT_WIDTH;
  if (!Number.isFinite(width) || width < 480 || width > 8000) throw new RangeError(`width must be in [480, 8000] px, got ${width}`);
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  if (!Number.isInteger(maxElements) || maxElements < 10) throw new RangeError(`maxElements must be an integer ≥ 10, got ${maxElements}`);
  checkTime('fromUs', options.fromUs);
  checkTime('toUs', options.toUs);
  const model = buildModel(trace);
  const auto = options.fromUs === undefined && options.toUs === undefined;
  const window = auto ? autoWindow(model) : timelineWindow(trace, options);
  return renderTimeline(model, model.extent ? window : null, { width: Math.round(width), title: options.title ?? 'pvg-vmm trace', maxElements, auto });
}
