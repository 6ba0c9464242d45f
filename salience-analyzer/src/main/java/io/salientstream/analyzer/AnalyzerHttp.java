package io.salientstream.analyzer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.salientstream.streams.OpsHttp;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * The salience-analyzer's operations endpoint: {@code GET /health} (200 while the Streams app is
 * RUNNING or REBALANCING, else 503) and {@code GET /metrics} (Prometheus text: the counters of
 * {@link AnalyzerMetrics} as {@code salientstream_analyzer_*_total}, the window-end computation
 * time, and the Kafka Streams client metrics).
 */
public final class AnalyzerHttp implements AutoCloseable {

  private final OpsHttp http;

  /** On {@code localhost:port}, without authentication. */
  public AnalyzerHttp(SalienceAnalyzer analyzer, int port) throws IOException {
    this(analyzer, OpsHttp.Settings.local(port));
  }

  public AnalyzerHttp(SalienceAnalyzer analyzer, OpsHttp.Settings settings) throws IOException {
    AnalyzerMetrics m = analyzer.metrics();
    this.http =
        new OpsHttp(
            "analyzer-http",
            analyzer.app(),
            settings,
            registry -> {
              counter(registry, "steps", "singular-value events fed to a policy", m, x -> x.steps);
              counter(
                  registry,
                  "decisions",
                  "window ends decided (salience reports emitted)",
                  m,
                  x -> x.decisions);
              counter(
                  registry,
                  "duplicates",
                  "events at or below an experiment's last step, skipped",
                  m,
                  x -> x.duplicates);
              counter(
                  registry,
                  "dead_letters",
                  "records sent to the dead-letter topic",
                  m,
                  x -> x.deadLetters);
              counter(
                  registry,
                  "rebuilds",
                  "policies rebuilt from the stored snapshot and rows",
                  m,
                  x -> x.rebuilds);
              counter(
                  registry,
                  "rewinds",
                  "resumed runs that continued before the last step seen",
                  m,
                  x -> x.rewinds);
              counter(
                  registry,
                  "parked",
                  "events parked until their experiment's registration arrived",
                  m,
                  x -> x.parked);
              FunctionCounter.builder(
                      "salientstream_analyzer_decision_seconds",
                      m,
                      x -> x.decisionNanos.sum() / 1e9)
                  .description("time spent in window-end computations")
                  .register(registry);
              Gauge.builder(
                      "salientstream_analyzer_last_decision_milliseconds",
                      m,
                      x -> x.lastComputeMillis)
                  .description("time of the latest window-end computation")
                  .register(registry);
            },
            Map.of());
  }

  private static void counter(
      MeterRegistry registry,
      String name,
      String description,
      AnalyzerMetrics m,
      Function<AnalyzerMetrics, LongAdder> field) {
    FunctionCounter.builder("salientstream_analyzer_" + name, m, x -> field.apply(x).sum())
        .description(description)
        .register(registry);
  }

  public int port() {
    return http.port();
  }

  @Override
  public void close() {
    http.close();
  }
}
