package io.salientstream.analyzer;

import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.SalienceReport;
import io.salientstream.streams.ExperimentInputProcessor;
import java.time.Duration;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The salience-analyzer's topology: two sources (registrations, singular-value events) → {@link
 * AnalyzerProcessor} → two sinks (salience reports, dead letters). Both sources are keyed by
 * experiment id and must have the same number of partitions, so one task owns all records of an
 * experiment.
 */
public final class AnalyzerTopology {

  public static final String REPORTS_SINK = "salience-reports";
  public static final String DEAD_LETTER_SINK = "dead-letters";

  /** Topic names the analyzer reads and writes. */
  public record Topics(
      String experiments, String singularValues, String salienceReports, String deadLetters) {}

  /**
   * Everything the topology needs. Deserializers are suppliers because each stream task gets its
   * own.
   *
   * @param applicationName written into dead letters
   * @param resumeSnapshots policy snapshots kept per experiment, with the window rows after the
   *     oldest: a trainer resumed from a checkpoint may start anywhere after the oldest. 1 (the
   *     default): within the current window; 4: up to three window ends back, at the cost of
   *     keeping (and changelogging) the rows of those windows — the analyzer's throughput at N =
   *     1080 fell from 82 % to 42 % of the pass-through with 4 ({@code bench loop
   *     --resume-snapshots})
   * @param livePolicies policies kept in memory per stream task, least recently used first out; an
   *     experiment whose policy is not in memory is rebuilt from its stored snapshot and rows (same
   *     result, more work). Bounds the analyzer's memory with many concurrent experiments; 0
   *     rebuilds every step
   * @param idleRetention an experiment with no record for this long leaves the stores (abandoned
   *     and failed runs; default 7 days, {@code salientstream.idle-retention.seconds})
   */
  public record Config(
      String applicationName,
      Topics topics,
      Supplier<Deserializer<ExperimentSpec>> specDeserializer,
      Supplier<Deserializer<SingularValueStepView>> stepDeserializer,
      Serializer<SalienceReport> reportSerializer,
      Serializer<DeadLetter> deadLetterSerializer,
      Duration unknownExperimentGrace,
      int resumeSnapshots,
      int livePolicies,
      Duration idleRetention) {

    /** The default grace period for events that arrive before their experiment's registration. */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);

    /** See {@code resumeSnapshots}. */
    public static final int DEFAULT_RESUME_SNAPSHOTS = 1;

    /** See {@code livePolicies}. */
    public static final int DEFAULT_LIVE_POLICIES = 10_000;

    public Config {
      if (resumeSnapshots < 1) {
        throw new IllegalArgumentException("resume snapshots must be >= 1, got " + resumeSnapshots);
      }
      if (livePolicies < 0) {
        throw new IllegalArgumentException("live policies must be >= 0, got " + livePolicies);
      }
      if (idleRetention == null || idleRetention.isNegative() || idleRetention.isZero()) {
        throw new IllegalArgumentException("idle retention must be > 0, got " + idleRetention);
      }
    }

    public Config(
        String applicationName,
        Topics topics,
        Supplier<Deserializer<ExperimentSpec>> specDeserializer,
        Supplier<Deserializer<SingularValueStepView>> stepDeserializer,
        Serializer<SalienceReport> reportSerializer,
        Serializer<DeadLetter> deadLetterSerializer) {
      this(
          applicationName,
          topics,
          specDeserializer,
          stepDeserializer,
          reportSerializer,
          deadLetterSerializer,
          DEFAULT_GRACE,
          DEFAULT_RESUME_SNAPSHOTS,
          DEFAULT_LIVE_POLICIES,
          ExperimentInputProcessor.DEFAULT_IDLE_RETENTION);
    }

    public Config withResumeSnapshots(int n) {
      return new Config(
          applicationName,
          topics,
          specDeserializer,
          stepDeserializer,
          reportSerializer,
          deadLetterSerializer,
          unknownExperimentGrace,
          n,
          livePolicies,
          idleRetention);
    }

    public Config withLivePolicies(int n) {
      return new Config(
          applicationName,
          topics,
          specDeserializer,
          stepDeserializer,
          reportSerializer,
          deadLetterSerializer,
          unknownExperimentGrace,
          resumeSnapshots,
          n,
          idleRetention);
    }

    /** The same config with grace period {@code d} (see {@link #unknownExperimentGrace}). */
    public Config withGrace(Duration d) {
      return new Config(
          applicationName,
          topics,
          specDeserializer,
          stepDeserializer,
          reportSerializer,
          deadLetterSerializer,
          d,
          resumeSnapshots,
          livePolicies,
          idleRetention);
    }

    /**
     * The same config, forgetting experiments silent for {@code d} (see {@link #idleRetention}).
     */
    public Config withIdleRetention(Duration d) {
      return new Config(
          applicationName,
          topics,
          specDeserializer,
          stepDeserializer,
          reportSerializer,
          deadLetterSerializer,
          unknownExperimentGrace,
          resumeSnapshots,
          livePolicies,
          d);
    }
  }

  private AnalyzerTopology() {}

  public static Topology build(Config config, AnalyzerMetrics metrics) {
    Topology t = new Topology();
    t.addSource(
        "experiments",
        Serdes.Bytes().deserializer(),
        Serdes.ByteArray().deserializer(),
        config.topics().experiments());
    t.addSource(
        "singular-values",
        Serdes.Bytes().deserializer(),
        Serdes.ByteArray().deserializer(),
        config.topics().singularValues());
    t.addProcessor(
        "analyzer", () -> new AnalyzerProcessor(config, metrics), "experiments", "singular-values");
    for (String store : AnalyzerProcessor.STORES) {
      var b =
          Stores.keyValueStoreBuilder(
              Stores.persistentKeyValueStore(store), Serdes.String(), Serdes.ByteArray());
      if (store.equals(AnalyzerProcessor.HEADERS) || store.equals(AnalyzerProcessor.ROWS)) {
        // written on every step: the record cache keeps them until the next commit, so a header
        // rewritten many times
        // in one commit interval reaches RocksDB and its changelog once, and a window row deleted
        // at a window end in
        // the same interval never does (commits flush the cache inside the transaction:
        // exactly-once is unchanged).
        // Analyzer throughput at N = 1080 went from about 10,200 to 13,500 events/s
        // (tools/BENCHMARKS.md).
        b = b.withCachingEnabled();
      }
      t.addStateStore(b, "analyzer");
    }
    t.addSink(
        REPORTS_SINK,
        config.topics().salienceReports(),
        Serdes.String().serializer(),
        config.reportSerializer(),
        "analyzer");
    t.addSink(
        DEAD_LETTER_SINK,
        config.topics().deadLetters(),
        Serdes.String().serializer(),
        config.deadLetterSerializer(),
        "analyzer");
    return t;
  }
}
