package io.salientstream.stack.topics;

import java.util.List;
import java.util.Objects;

/**
 * The catalogue of SalientStream's topics: every topic's spec is declared here once; names are
 * versioned ({@code .v1}) and carry a per-tenant prefix. All event topics are keyed by experiment
 * id, so one experiment's events stay in order on one partition.
 *
 * <pre>{@code
 * Topics topics = Topics.withPrefix("acme.");
 * String name = topics.name(Topics.SINGULAR_VALUES);   // acme.salientstream.singular-values.v1
 * }</pre>
 */
public final class Topics {
  private static final String KEY = "experiment id (string)";

  /**
   * Partitions of every experiment-keyed topic. They must all be equal: the analyzer joins
   * registrations with singular values, and the pruner registrations with salience reports, inside
   * one task per partition (co-partitioning). It bounds how many analyzer/pruner instances share
   * the work.
   */
  public static final int EXPERIMENT_PARTITIONS = 6;

  /**
   * Experiment definitions (policy, budget schedule, model); compacted: the latest definition per
   * experiment.
   */
  public static final TopicSpec<Object> EXPERIMENTS =
      new TopicSpec<>(
          "salientstream.experiments.v1",
          EXPERIMENT_PARTITIONS,
          true,
          true,
          KEY,
          "experiment definitions, latest per experiment",
          null);

  /** Per-step singular values emitted by trainers after every optimizer step. */
  public static final TopicSpec<Object> SINGULAR_VALUES =
      new TopicSpec<>(
          "salientstream.singular-values.v1",
          EXPERIMENT_PARTITIONS,
          false,
          true,
          KEY,
          "per-step singular values of every adapted matrix",
          null);

  /** Salience computed by the analyzer at each window end. */
  public static final TopicSpec<Object> SALIENCE_REPORTS =
      new TopicSpec<>(
          "salientstream.salience-reports.v1",
          EXPERIMENT_PARTITIONS,
          false,
          true,
          KEY,
          "salience per singular value at each window end",
          null);

  /** Rank-pruning commands from the pruner to trainers. */
  public static final TopicSpec<Object> RANK_COMMANDS =
      new TopicSpec<>(
          "salientstream.rank-commands.v1",
          EXPERIMENT_PARTITIONS,
          false,
          true,
          KEY,
          "rank-pruning commands (ids, epochs, apply-at step)",
          null);

  /** Trainer heartbeats and progress. */
  public static final TopicSpec<Object> TRAINER_STATUS =
      new TopicSpec<>(
          "salientstream.trainer-status.v1",
          EXPERIMENT_PARTITIONS,
          false,
          true,
          KEY,
          "trainer status and progress",
          null);

  /** Records that could not be processed, with the reason and their origin. */
  public static final TopicSpec<Object> DEAD_LETTER =
      new TopicSpec<>(
          "salientstream.dead-letter.v1",
          1,
          false,
          true,
          "experiment id when known, else the source topic",
          "undecodable or rejected records",
          null);

  /** The schema registry's store (one partition, compacted; one registry writes it). */
  public static final TopicSpec<Object> SCHEMAS =
      new TopicSpec<>(
          "_schemas", 1, true, false, "registry record key (JSON)", "schema registry store", null);

  private static final List<TopicSpec<?>> ALL =
      List.of(
          EXPERIMENTS,
          SINGULAR_VALUES,
          SALIENCE_REPORTS,
          RANK_COMMANDS,
          TRAINER_STATUS,
          DEAD_LETTER,
          SCHEMAS);

  private final String prefix;

  private Topics(String prefix) {
    this.prefix = Objects.requireNonNull(prefix, "prefix");
  }

  /** The catalogue for a tenant prefix ({@code ""} for none). */
  public static Topics withPrefix(String prefix) {
    return new Topics(prefix);
  }

  /** Every topic spec, in a stable order. */
  public static List<TopicSpec<?>> specs() {
    return ALL;
  }

  public String prefix() {
    return prefix;
  }

  /** The full name of {@code spec} for this catalogue's prefix. */
  public String name(TopicSpec<?> spec) {
    return spec.name(prefix);
  }

  /** All full names, in the order of {@link #specs()}. */
  public List<String> names() {
    return ALL.stream().map(this::name).toList();
  }
}
