package io.salientstream.loop;

import io.salientstream.analyzer.AnalyzerTopology;
import io.salientstream.analyzer.SalienceAnalyzer;
import io.salientstream.pruner.Pruner;
import io.salientstream.pruner.PrunerTopology;
import java.nio.file.Path;
import java.util.Map;

/**
 * The salience-analyzer and the pruner started together in this JVM (the local demo, tests and
 * benchmarks; in production each runs in its own process with {@code salientstream analyzer} /
 * {@code salientstream pruner}).
 */
public final class LoopServices implements AutoCloseable {

  private final SalienceAnalyzer analyzer;
  private final Pruner pruner;

  private LoopServices(SalienceAnalyzer analyzer, Pruner pruner) {
    this.analyzer = analyzer;
    this.pruner = pruner;
  }

  /**
   * @param config Kafka client properties plus {@code schema.registry.url}
   * @param stateRoot folder holding both apps' local state
   * @param idSuffix appended to the application ids (so several independent loops can share a
   *     cluster)
   */
  public static LoopServices start(
      Map<String, Object> config,
      LoopTopics topics,
      Path stateRoot,
      String idSuffix,
      String codeVersion) {
    SalienceAnalyzer analyzer =
        SalienceAnalyzer.start(
            config,
            analyzerTopics(topics),
            stateRoot.resolve("analyzer"),
            SalienceAnalyzer.DEFAULT_APPLICATION_ID + idSuffix);
    try {
      Pruner pruner =
          Pruner.start(
              config,
              prunerTopics(topics),
              stateRoot.resolve("pruner"),
              Pruner.DEFAULT_APPLICATION_ID + idSuffix,
              codeVersion);
      return new LoopServices(analyzer, pruner);
    } catch (RuntimeException e) {
      analyzer.close();
      throw e;
    }
  }

  /** The salience-analyzer's topics among the loop's. */
  public static AnalyzerTopology.Topics analyzerTopics(LoopTopics t) {
    return new AnalyzerTopology.Topics(
        t.experiments(), t.singularValues(), t.salienceReports(), t.deadLetters());
  }

  /** The pruner's topics among the loop's. */
  public static PrunerTopology.Topics prunerTopics(LoopTopics t) {
    return new PrunerTopology.Topics(
        t.experiments(), t.salienceReports(), t.rankCommands(), t.deadLetters());
  }

  public SalienceAnalyzer analyzer() {
    return analyzer;
  }

  public Pruner pruner() {
    return pruner;
  }

  @Override
  public void close() {
    try {
      pruner.close();
    } finally {
      analyzer.close();
    }
  }
}
