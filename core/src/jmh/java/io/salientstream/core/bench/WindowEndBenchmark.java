package io.salientstream.core.bench;

import io.salientstream.core.salient.SalienceEngine;
import io.salientstream.core.salient.SalienceParams;
import io.salientstream.core.salient.SalienceResult;
import io.salientstream.core.salient.SyntheticWindow;
import io.salientstream.core.salient.Window;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One SalientLoRA window end (spec §2.4, all steps) on a synthetic window ({@link SyntheticWindow}:
 * 16 shared random-walk factors, 30 % of the series masked) of T = 200 steps, in reference mode
 * with β = 0.9, γ = 2 and the default worker count. Sizes: 72×15 (N = 1080, DeBERTaV3-base), 256×16
 * (N = 4096) and 1250×16 (N = 20,000). SampleTime mode reports the median (p0.50); add {@code -prof
 * gc} for bytes allocated per window end.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx6g"})
public class WindowEndBenchmark {

  @Param({"72x15", "256x16", "1250x16"})
  public String shape;

  @Param({"200"})
  public int length;

  private Window window;
  private SalienceEngine engine;
  private int budget;
  private boolean[] alive;

  @Setup
  public void setUp() {
    String[] mr = shape.split("x");
    int matrices = Integer.parseInt(mr[0]), rank = Integer.parseInt(mr[1]);
    window = SyntheticWindow.generate(matrices, rank, length, 0.3, 42);
    int n = window.n();
    alive = new boolean[n];
    int count = 0;
    for (int t = 0; t < length; t++)
      for (int i = 0; i < n; i++) alive[i] |= window.values()[t * n + i] != 0;
    for (boolean b : alive) if (b) count++;
    budget = count / 2;
    engine = new SalienceEngine(SalienceParams.reference());
  }

  @Benchmark
  public SalienceResult windowEnd() {
    return engine.compute(window, budget, alive);
  }
}
