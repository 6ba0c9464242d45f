package io.salientstream.pruner;

import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.RankPruneCommand;
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
 * The pruner's topology: registrations + salience reports → {@link PrunerProcessor} → commands,
 * dead letters.
 */
public final class PrunerTopology {

  public static final String COMMANDS_SINK = "rank-commands";
  public static final String DEAD_LETTER_SINK = "dead-letters";

  /** Topic names the pruner reads and writes. */
  public record Topics(
      String experiments, String salienceReports, String rankCommands, String deadLetters) {}

  /** Everything the topology needs; deserializers are per task. */
  public record Config(
      String applicationName,
      String codeVersion,
      Topics topics,
      Supplier<Deserializer<ExperimentSpec>> specDeserializer,
      Supplier<Deserializer<SalienceReport>> reportDeserializer,
      Serializer<RankPruneCommand> commandSerializer,
      Serializer<DeadLetter> deadLetterSerializer,
      Duration unknownExperimentGrace,
      int patternHistory,
      Duration idleRetention) {

    /**
     * Rank patterns kept per experiment when nothing asks for more: a resumed run may re-decide
     * window ends after the oldest.
     */
    public static final int MIN_PATTERN_HISTORY = 4;

    public Config {
      if (patternHistory < 1) {
        throw new IllegalArgumentException("pattern history must be >= 1, got " + patternHistory);
      }
      if (idleRetention == null || idleRetention.isNegative() || idleRetention.isZero()) {
        throw new IllegalArgumentException("idle retention must be > 0, got " + idleRetention);
      }
    }

    /**
     * The patterns kept for an analyzer that keeps {@code resumeSnapshots} policy snapshots: at
     * least as many, so the pruner accepts every re-decision the analyzer accepts.
     */
    public static int patternHistoryFor(int resumeSnapshots) {
      return Math.max(MIN_PATTERN_HISTORY, resumeSnapshots);
    }

    /** The same config keeping {@code n} rank patterns per experiment. */
    public Config withPatternHistory(int n) {
      return new Config(
          applicationName,
          codeVersion,
          topics,
          specDeserializer,
          reportDeserializer,
          commandSerializer,
          deadLetterSerializer,
          unknownExperimentGrace,
          n,
          idleRetention);
    }

    /** The same config with grace period {@code d} (see {@code unknownExperimentGrace}). */
    public Config withGrace(Duration d) {
      return new Config(
          applicationName,
          codeVersion,
          topics,
          specDeserializer,
          reportDeserializer,
          commandSerializer,
          deadLetterSerializer,
          d,
          patternHistory,
          idleRetention);
    }

    /**
     * The same config, forgetting experiments silent for {@code d} (abandoned and failed runs;
     * default 7 days, {@code salientstream.idle-retention.seconds}).
     */
    public Config withIdleRetention(Duration d) {
      return new Config(
          applicationName,
          codeVersion,
          topics,
          specDeserializer,
          reportDeserializer,
          commandSerializer,
          deadLetterSerializer,
          unknownExperimentGrace,
          patternHistory,
          d);
    }

    public Config(
        String applicationName,
        String codeVersion,
        Topics topics,
        Supplier<Deserializer<ExperimentSpec>> specDeserializer,
        Supplier<Deserializer<SalienceReport>> reportDeserializer,
        Serializer<RankPruneCommand> commandSerializer,
        Serializer<DeadLetter> deadLetterSerializer) {
      this(
          applicationName,
          codeVersion,
          topics,
          specDeserializer,
          reportDeserializer,
          commandSerializer,
          deadLetterSerializer,
          Duration.ofSeconds(30),
          MIN_PATTERN_HISTORY,
          ExperimentInputProcessor.DEFAULT_IDLE_RETENTION);
    }
  }

  private PrunerTopology() {}

  public static Topology build(Config config, PrunerMetrics metrics) {
    Topology t = new Topology();
    t.addSource(
        "experiments",
        Serdes.Bytes().deserializer(),
        Serdes.ByteArray().deserializer(),
        config.topics().experiments());
    t.addSource(
        "salience-reports",
        Serdes.Bytes().deserializer(),
        Serdes.ByteArray().deserializer(),
        config.topics().salienceReports());
    t.addProcessor(
        "pruner", () -> new PrunerProcessor(config, metrics), "experiments", "salience-reports");
    for (String store : PrunerProcessor.STORES) {
      t.addStateStore(
          Stores.keyValueStoreBuilder(
              Stores.persistentKeyValueStore(store), Serdes.String(), Serdes.ByteArray()),
          "pruner");
    }
    t.addSink(
        COMMANDS_SINK,
        config.topics().rankCommands(),
        Serdes.String().serializer(),
        config.commandSerializer(),
        "pruner");
    t.addSink(
        DEAD_LETTER_SINK,
        config.topics().deadLetters(),
        Serdes.String().serializer(),
        config.deadLetterSerializer(),
        "pruner");
    return t;
  }
}
