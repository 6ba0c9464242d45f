package io.salientstream.loop;

import io.salientstream.stack.topics.Topics;

/**
 * The topic names of the control loop, resolved for one tenant prefix from the {@link Topics}
 * catalogue. It lives in the stack module so the trainer's Kafka host and the Streams apps share it
 * without depending on each other; the analyzer's and the pruner's views of it are {@code
 * LoopServices.analyzerTopics} / {@code prunerTopics}.
 */
public record LoopTopics(
    String experiments,
    String singularValues,
    String salienceReports,
    String rankCommands,
    String trainerStatus,
    String deadLetters) {

  public static LoopTopics of(Topics t) {
    return new LoopTopics(
        t.name(Topics.EXPERIMENTS),
        t.name(Topics.SINGULAR_VALUES),
        t.name(Topics.SALIENCE_REPORTS),
        t.name(Topics.RANK_COMMANDS),
        t.name(Topics.TRAINER_STATUS),
        t.name(Topics.DEAD_LETTER));
  }

  public static LoopTopics forPrefix(String prefix) {
    return of(Topics.withPrefix(prefix));
  }
}
