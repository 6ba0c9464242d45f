package io.salientstream.pruner;

import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SalienceReport;
import io.salientstream.streams.EventSerdes;
import io.salientstream.streams.LayeredConfig;
import io.salientstream.streams.StreamsApp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The pruner service: a Kafka Streams application ({@code exactly_once_v2}) plus, optionally, its
 * HTTP endpoint ({@link PrunerHttp}: ranks, health, Prometheus metrics).
 */
public final class Pruner implements AutoCloseable {

  public static final String DEFAULT_APPLICATION_ID = "salientstream-pruner";

  /**
   * The pruner's own Streams defaults (the caller's settings still win): a commit interval and poll
   * timeout of 5 ms instead of 20. A command becomes visible to its trainer only when the pruner
   * commits, and a trainer in sync mode waits for it; the pruner's input is sparse (one report per
   * window end), so a short interval adds transactions only while reports arrive.
   */
  static final Map<String, Object> APP_DEFAULTS =
      Map.of(
          StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 5,
          StreamsConfig.POLL_MS_CONFIG, 5);

  private final StreamsApp app;
  private final PrunerMetrics metrics;

  private Pruner(StreamsApp app, PrunerMetrics metrics) {
    this.app = app;
    this.metrics = metrics;
  }

  public static Pruner start(
      Map<String, Object> config,
      PrunerTopology.Topics topics,
      Path stateDir,
      String applicationId,
      String codeVersion) {
    PrunerMetrics metrics = new PrunerMetrics();
    PrunerTopology.Config c =
        new PrunerTopology.Config(
                applicationId,
                codeVersion,
                topics,
                () -> EventSerdes.of(ExperimentSpec.class, config).deserializer(),
                () -> EventSerdes.of(SalienceReport.class, config).deserializer(),
                EventSerdes.of(RankPruneCommand.class, config).serializer(),
                EventSerdes.of(DeadLetter.class, config).serializer())
            .withPatternHistory(
                PrunerTopology.Config.patternHistoryFor(LayeredConfig.resumeSnapshots(config)))
            .withIdleRetention(LayeredConfig.idleRetention(config))
            .withGrace(LayeredConfig.grace(config));
    Properties props = StreamsApp.config(applicationId, stateDir, config, APP_DEFAULTS);
    return new Pruner(
        StreamsApp.start(
            applicationId, PrunerTopology.build(c, metrics), props, Duration.ofSeconds(60)),
        metrics);
  }

  /**
   * The experiment's current rank pattern from this instance's store (interactive query). Empty if
   * this instance does not own the experiment's partition or no command was issued yet.
   */
  public Optional<RankPattern> rankPattern(String experimentId) {
    ReadOnlyKeyValueStore<String, byte[]> store =
        app.streams()
            .store(
                StoreQueryParameters.fromNameAndType(
                    PrunerProcessor.PATTERNS, QueryableStoreTypes.<String, byte[]>keyValueStore()));
    byte[] b = store.get(experimentId);
    return b == null ? Optional.empty() : Optional.of(RankPattern.decode(b));
  }

  /**
   * Which instance (host:port of {@code application.server}) owns an experiment, for routing
   * queries.
   */
  public Optional<String> ownerOf(String experimentId) {
    var md =
        app.streams()
            .queryMetadataForKey(
                PrunerProcessor.PATTERNS, experimentId, Serdes.String().serializer());
    return md == null || md.activeHost() == null || md.activeHost().port() < 0
        ? Optional.empty()
        : Optional.of(md.activeHost().host() + ":" + md.activeHost().port());
  }

  public PrunerMetrics metrics() {
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
