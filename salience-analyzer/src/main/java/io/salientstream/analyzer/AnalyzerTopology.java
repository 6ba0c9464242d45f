package io.salientstream.analyzer;

import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.SalienceReport;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The salience-analyzer's topology: two sources (registrations, singular-value events) → {@link AnalyzerProcessor}
 * → two sinks (salience reports, dead letters). Both sources are keyed by experiment id and must have the same
 * number of partitions, so one task owns all records of an experiment.
 */
public final class AnalyzerTopology {

  public static final String REPORTS_SINK = "salience-reports";
  public static final String DEAD_LETTER_SINK = "dead-letters";

  /** Topic names the analyzer reads and writes. */
  public record Topics(String experiments, String singularValues, String salienceReports, String deadLetters) {}

  /**
   * Everything the topology needs. Deserializers are suppliers because each stream task gets its own.
   *
   * @param applicationName written into dead letters
   */
  public record Config(String applicationName, Topics topics,
                       Supplier<Deserializer<ExperimentSpec>> specDeserializer,
                       Supplier<Deserializer<StepEvent>> stepDeserializer,
                       Serializer<SalienceReport> reportSerializer,
                       Serializer<DeadLetter> deadLetterSerializer,
                       java.time.Duration unknownExperimentGrace) {

    /** The default grace period for events that arrive before their experiment's registration. */
    public static final java.time.Duration DEFAULT_GRACE = java.time.Duration.ofSeconds(30);

    public Config(String applicationName, Topics topics, Supplier<Deserializer<ExperimentSpec>> specDeserializer,
                  Supplier<Deserializer<StepEvent>> stepDeserializer, Serializer<SalienceReport> reportSerializer,
                  Serializer<DeadLetter> deadLetterSerializer) {
      this(applicationName, topics, specDeserializer, stepDeserializer, reportSerializer, deadLetterSerializer, DEFAULT_GRACE);
    }
  }

  private AnalyzerTopology() {}

  public static Topology build(Config config, AnalyzerMetrics metrics) {
    Topology t = new Topology();
    t.addSource("experiments", Serdes.Bytes().deserializer(), Serdes.ByteArray().deserializer(), config.topics().experiments());
    t.addSource("singular-values", Serdes.Bytes().deserializer(), Serdes.ByteArray().deserializer(), config.topics().singularValues());
    t.addProcessor("analyzer", () -> new AnalyzerProcessor(config, metrics), "experiments", "singular-values");
    for (String store : new String[] {AnalyzerProcessor.SPECS, AnalyzerProcessor.HEADERS, AnalyzerProcessor.ROWS, AnalyzerProcessor.SNAPSHOTS,
        AnalyzerProcessor.PARKED}) {
      t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), Serdes.String(), Serdes.ByteArray()), "analyzer");
    }
    t.addSink(REPORTS_SINK, config.topics().salienceReports(), Serdes.String().serializer(), config.reportSerializer(), "analyzer");
    t.addSink(DEAD_LETTER_SINK, config.topics().deadLetters(), Serdes.String().serializer(), config.deadLetterSerializer(), "analyzer");
    return t;
  }
}
