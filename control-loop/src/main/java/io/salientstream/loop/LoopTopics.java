package io.salientstream.loop;

import io.salientstream.analyzer.AnalyzerTopology;
import io.salientstream.pruner.PrunerTopology;
import io.salientstream.stack.topics.Topics;

/** The topic names of the control loop, resolved for one tenant prefix from the {@link Topics} catalogue. */
public record LoopTopics(String experiments, String singularValues, String salienceReports, String rankCommands,
                         String trainerStatus, String deadLetters) {

  public static LoopTopics of(Topics t) {
    return new LoopTopics(t.name(Topics.EXPERIMENTS), t.name(Topics.SINGULAR_VALUES), t.name(Topics.SALIENCE_REPORTS),
        t.name(Topics.RANK_COMMANDS), t.name(Topics.TRAINER_STATUS), t.name(Topics.DEAD_LETTER));
  }

  public static LoopTopics forPrefix(String prefix) {
    return of(Topics.withPrefix(prefix));
  }

  public AnalyzerTopology.Topics analyzer() {
    return new AnalyzerTopology.Topics(experiments, singularValues, salienceReports, deadLetters);
  }

  public PrunerTopology.Topics pruner() {
    return new PrunerTopology.Topics(experiments, salienceReports, rankCommands, deadLetters);
  }
}
