// Peak RSS of the current process, measured against a baseline taken after a full GC,
// and the CPU time it used meanwhile (steadier than wall time on a shared machine).
// RSS is sampled every 20 ms; the kernel's own high-water mark (maxRSS) catches a peak
// that falls between two samples, once it has risen past the baseline's.

const SAMPLE_MS = 20;

function kernelPeak() {
  return process.resourceUsage().maxRSS * 1024; // maxRSS is in KiB
}

/** Starts sampling; `mark()` starts a measurement, `measure()` ends it. */
export function createRssMonitor() {
  let cpuAtMark = process.cpuUsage();
  let baseline = process.memoryUsage.rss();
  let peak = baseline;
  let kernelAtMark = kernelPeak();
  let atPeak = process.memoryUsage();
  const sample = () => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) {
      peak = rss;
      if (process.env.BENCH_MEMORY_DETAIL) atPeak = process.memoryUsage();
    }
  };
  setInterval(sample, SAMPLE_MS).unref();
  return {
    /** Collects garbage (with --expose-gc) and takes the baseline. */
    mark() {
      globalThis.gc?.();
      globalThis.gc?.();
      baseline = process.memoryUsage.rss();
      peak = baseline;
      kernelAtMark = kernelPeak();
      cpuAtMark = process.cpuUsage();
      return { baseline };
    },
    /** The baseline and the peak since `mark()`, in bytes, and the CPU time used since, in ms. */
    measure() {
      sample();
      const cpu = process.cpuUsage(cpuAtMark);
      const kernel = kernelPeak();
      // maxRSS only says something about this interval once it has grown during it.
      if (kernel > kernelAtMark && kernel > peak) peak = kernel;
      return { baseline, peak, growth: Math.max(0, peak - baseline), cpuMs: (cpu.user + cpu.system) / 1000, atPeak };
    },
  };
}
