package io.salientstream.analyzer;

import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.SalienceReport;
import io.salientstream.streams.EventSerdes;
import io.salientstream.streams.LayeredConfig;
import io.salientstream.streams.StreamsApp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * The salience-analyzer service: {@link #start} builds the topology and runs it as a Kafka Streams
 * application ({@code exactly_once_v2}); {@link #close} stops it. One deployment serves every
 * experiment; add instances to scale out (work is partitioned by experiment id).
 */
public final class SalienceAnalyzer implements AutoCloseable {

  public static final String DEFAULT_APPLICATION_ID = "salientstream-salience-analyzer";

  /**
   * Policy snapshots kept per experiment (default 1), see {@link
   * AnalyzerTopology.Config#resumeSnapshots()}: how far back a trainer resumed from a checkpoint
   * may start.
   */
  public static final String RESUME_SNAPSHOTS_CONFIG = LayeredConfig.RESUME_SNAPSHOTS;

  private final StreamsApp app;
  private final AnalyzerMetrics metrics;

  private SalienceAnalyzer(StreamsApp app, AnalyzerMetrics metrics) {
    this.app = app;
    this.metrics = metrics;
  }

  /**
   * @param config Kafka client properties plus {@code schema.registry.url}; Streams settings here
   *     override the defaults of {@link StreamsApp#config}
   */
  public static SalienceAnalyzer start(
      Map<String, Object> config,
      AnalyzerTopology.Topics topics,
      Path stateDir,
      String applicationId) {
    AnalyzerMetrics metrics = new AnalyzerMetrics();
    AnalyzerTopology.Config c =
        new AnalyzerTopology.Config(
                applicationId,
                topics,
                () -> EventSerdes.of(ExperimentSpec.class, config).deserializer(),
                () -> SingularValueStepView.deserializer(config),
                EventSerdes.of(SalienceReport.class, config).serializer(),
                EventSerdes.of(DeadLetter.class, config).serializer())
            .withResumeSnapshots(resumeSnapshots(config))
            .withLivePolicies(LayeredConfig.livePolicies(config))
            .withIdleRetention(LayeredConfig.idleRetention(config))
            .withGrace(LayeredConfig.grace(config));
    Properties props = StreamsApp.config(applicationId, stateDir, config);
    return new SalienceAnalyzer(
        StreamsApp.start(
            applicationId, AnalyzerTopology.build(c, metrics), props, Duration.ofSeconds(60)),
        metrics);
  }

  static int resumeSnapshots(Map<String, Object> config) {
    return LayeredConfig.resumeSnapshots(config);
  }

  public AnalyzerMetrics metrics() {
    return metrics;
  }

  public StreamsApp app() {
    return app;
  }

  @Override
  public void close() {
    app.close();
  }
}
