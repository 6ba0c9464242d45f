package io.salientstream.core.bench;

import io.salientstream.core.salient.SalienceEngine;
import io.salientstream.core.salient.SalienceParams;
import io.salientstream.core.salient.SalienceResult;
import io.salientstream.core.salient.SyntheticWindow;
import io.salientstream.core.salient.Window;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * A complement to the JMH benchmark for a shared machine: times the same window end as {@link
 * WindowEndBenchmark} and reports the median wall time with the default worker count, and the
 * median <em>CPU time</em> of a single-threaded run (what one window end costs, independent of
 * other load on the machine), plus the heap limit it ran under. Usage: {@code java -Xmx160m -cp
 * core/target/benchmarks.jar io.salientstream.core.bench.WindowEndRunner 1250x16 [T]
 * [repetitions]}.
 */
public final class WindowEndRunner {
  private WindowEndRunner() {}

  public static void main(String[] args) {
    String shape = args.length > 0 ? args[0] : "72x15";
    int len = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int reps = args.length > 2 ? Integer.parseInt(args[2]) : 21;
    String[] mr = shape.split("x");
    Window w =
        SyntheticWindow.generate(Integer.parseInt(mr[0]), Integer.parseInt(mr[1]), len, 0.3, 42);
    int n = w.n();
    boolean[] alive = new boolean[n];
    int count = 0;
    for (int t = 0; t < len; t++)
      for (int i = 0; i < n; i++) alive[i] |= w.values()[t * n + i] != 0;
    for (boolean b : alive) if (b) count++;
    int budget = count / 2;
    SalienceEngine parallel = new SalienceEngine(SalienceParams.reference());
    SalienceEngine single = new SalienceEngine(SalienceParams.reference(), 1);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    int warm = Math.max(2, reps / 3);
    for (int i = 0; i < warm; i++) {
      parallel.compute(w, budget, alive);
      single.compute(w, budget, alive);
    }
    long[] wall = new long[reps], cpu = new long[reps];
    SalienceResult r = null;
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      r = parallel.compute(w, budget, alive);
      wall[i] = System.nanoTime() - t0;
      long c0 = mx.getCurrentThreadCpuTime();
      single.compute(w, budget, alive);
      cpu[i] = mx.getCurrentThreadCpuTime() - c0;
    }
    Arrays.sort(wall);
    Arrays.sort(cpu);
    System.out.printf(
        "shape=%s N=%d T=%d edges=%d kept=%d threads=%d wallMedianMs=%.2f wallMinMs=%.2f "
            + "singleThreadCpuMedianMs=%.2f maxHeapMB=%d%n",
        shape,
        n,
        len,
        r.edges(),
        r.kept(),
        Math.min(8, Runtime.getRuntime().availableProcessors()),
        wall[reps / 2] / 1e6,
        wall[0] / 1e6,
        cpu[reps / 2] / 1e6,
        Runtime.getRuntime().maxMemory() >> 20);
  }
}
