package io.salientstream.loop.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's code path at a tiny size on the shared broker: every window end of every
 * synthetic trainer yields one latency sample (its command came back), the throughput phase sees
 * both apps process every record, and the report is written. Outcomes only; the timings themselves
 * are what {@code salientstream bench loop} reports.
 */
@WithSharedStack
class LoopBenchmarkTest {

  @Test
  void tinyRunMeasuresEveryWindowEndAndBothApps(SharedStack stack, @TempDir Path dir)
      throws Exception {
    Map<String, Object> config = stack.clientConfig();
    // 2 experiments, N = 6 x 4 = 24, 40 steps with windows of 3..6 steps, no pacing, no warm-up
    // round
    LoopBenchmark.Settings settings =
        new LoopBenchmark.Settings(
            2, 6, 6, 4, 40, 5, 5, 3, 6, 0, 0, 2, 200, 3, 6, 0, 0.25, Duration.ofSeconds(30));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LoopBenchmark bench =
        new LoopBenchmark(
            config,
            settings,
            dir.resolve("state"),
            new PrintStream(out, true, StandardCharsets.UTF_8));

    LoopBenchmark.Result result = bench.run();

    RankPolicy policy = Policies.create("salientlora", bench.latencyParams(), bench.layout());
    int windowEnds = 0;
    for (long step = 0; step < settings.steps(); step++) {
      windowEnds += policy.decidesAt(step) ? 1 : 0;
    }
    assertThat(windowEnds).as("the schedule has window ends").isGreaterThan(2);
    LoopBenchmark.Latency l = result.latency();
    assertThat(l.samples())
        .as("one sample per window end per experiment")
        .isEqualTo(2 * windowEnds);
    assertThat(l.steps()).isEqualTo(2 * settings.steps());
    assertThat(l.p50()).isPositive().isLessThanOrEqualTo(l.p99());
    assertThat(l.p99()).isLessThanOrEqualTo(l.max());
    assertThat(l.reports())
        .as("analyzer reports of the measured experiments")
        .isEqualTo(2 * windowEnds);
    assertThat(l.deadLetters()).isZero();
    assertThat(l.jitMillisByRound())
        .as("JIT time of each round (no warm-up round here)")
        .hasSize(1);
    assertThat(l.gcMillisByRound()).hasSize(1);
    assertThat(l.gcMillisByRound()[0]).isNotNegative();

    LoopBenchmark.Throughput t = result.throughput();
    assertThat(t.records()).isEqualTo(200);
    assertThat(t.passThroughRuns())
        .hasSize(LoopBenchmark.THROUGHPUT_ROUNDS)
        .allSatisfy(p -> assertThat(p.records()).isEqualTo(200));
    assertThat(t.analyzerRuns())
        .hasSize(LoopBenchmark.THROUGHPUT_ROUNDS)
        .allSatisfy(p -> assertThat(p.records()).isEqualTo(200));
    assertThat(t.analyzerDeadLetters()).isZero();
    assertThat(t.analyzerDecisions()).as("window ends in the throughput phase").isPositive();
    assertThat(t.ratio()).isPositive().isFinite().isEqualTo(t.analyzerRate() / t.passThroughRate());

    Path report = dir.resolve("report.json");
    LoopBenchmark.writeJson(result, report);
    String json = Files.readString(report);
    assertThat(json)
        .contains("\"p99\"", "\"ratio\"", "\"stepIntervalMs\"", "\"availableProcessors\"");
    assertThat(LoopBenchmark.table(result))
        .contains("latency p99 (ms)", "analyzer / pass-through", "JIT/GC ms by round");
  }

  @Test
  void warmUpGoesOnWhileTheJitIsBusyUpToALimit() {
    assertThat(LoopBenchmark.measureRound(0, 0, 0, 0.25)).as("no warm-up asked").isTrue();
    assertThat(LoopBenchmark.measureRound(2, 3, 0.01, 0.25)).as("below the minimum").isFalse();
    assertThat(LoopBenchmark.measureRound(3, 3, 0.10, 0.25))
        .as("minimum reached, JIT quiet")
        .isTrue();
    assertThat(LoopBenchmark.measureRound(3, 3, 0.40, 0.25)).as("JIT still busy").isFalse();
    assertThat(LoopBenchmark.measureRound(LoopBenchmark.MAX_WARMUP_ROUNDS, 3, 0.90, 0.25))
        .as("limit")
        .isTrue();
  }
}
