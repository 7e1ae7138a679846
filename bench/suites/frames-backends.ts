// bench frames' cases on one engine backend, or (--engine vulkan, or auto finding a GPU) on both:
// each case runs on soft and on vulkan in the same invocation, the first of the two alternating
// from case to case so that drift over the run (heat, a neighbour's load, the GC) does not always
// land on the same backend; the ratio is vulkan's kept frames/s over soft's.
import type { EngineChoice } from '../../vmm/engine-backend.js';

export type VsSoftRatios = Record<`ratio_vulkan_vs_soft_${string}`, number>;

export class BackendCases<R extends { fps: number }> {
  /** The chosen backend's runs (vulkan's when comparing), by case. */
  readonly runs: Record<string, R> = {};
  /** When comparing: the same cases on soft. */
  readonly softRuns: Record<string, R> = {};
  private cases = 0;

  /** engine: what every run gets when not comparing (soft, or auto that found no GPU). */
  constructor(
    private readonly engine: EngineChoice,
    readonly compare: boolean,
  ) {}

  async measure(name: string, run: (engine: EngineChoice) => Promise<R>): Promise<void> {
    if (!this.compare) {
      this.runs[name] = await run(this.engine);
      return;
    }
    const softFirst = this.cases++ % 2 === 0;
    for (const e of softFirst ? (['soft', 'vulkan'] as const) : (['vulkan', 'soft'] as const)) {
      if (e === 'soft') this.softRuns[name] = await run('soft');
      else this.runs[name] = await run('vulkan');
    }
  }

  /** ratio_vulkan_vs_soft_<case> for every case (none when not comparing). */
  ratios(): VsSoftRatios {
    if (!this.compare) return {};
    return Object.fromEntries(Object.entries(this.runs).map(([name, r]) => [`ratio_vulkan_vs_soft_${name}`, r.fps / (this.softRuns[name]?.fps ?? Number.NaN)]));
  }
}
