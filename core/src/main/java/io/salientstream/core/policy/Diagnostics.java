package io.salientstream.core.policy;

/**
 * What a decision was based on, for salience reports and monitoring. Fields a policy does not
 * compute are {@code NaN}, {@code -1} or {@code null}.
 *
 * @param threshold the k-th smallest score (k = N − budget); units with score ≤ threshold were
 *     pruned
 * @param edges SalientLoRA: number of edges in the dependency graph after cycle removal; otherwise
 *     -1
 * @param windowLength SalientLoRA: number of recorded steps (columns) the salience was computed
 *     over; otherwise -1
 * @param scores per-unit scores in global order (null for PRILoRA, whose scores are per A entry)
 * @param influence SalientLoRA: the globally normalised influence term; otherwise null
 * @param magnitude SalientLoRA: the per-matrix normalised orthogonality-aware magnitude term;
 *     otherwise null
 */
public record Diagnostics(
    double threshold,
    int edges,
    int windowLength,
    double[] scores,
    double[] influence,
    double[] magnitude) {

  /** Diagnostics with only a threshold and scores. */
  public static Diagnostics ofScores(double threshold, double[] scores) {
    return new Diagnostics(threshold, -1, -1, scores, null, null);
  }

  /** No diagnostics at all. */
  public static Diagnostics none() {
    return new Diagnostics(Double.NaN, -1, -1, null, null, null);
  }
}
