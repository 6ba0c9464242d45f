package io.salientstream.core.salient;

/**
 * The outcome of one window-end salience computation.
 *
 * @param scores N scores in global order
 * @param keep N keep bits (the new mask, already AND-ed with the mask in force: pruning is
 *     irreversible)
 * @param threshold the k-th smallest score, k = N − budget (1-based; −∞ when k = 0)
 * @param kept number of true bits in {@code keep}
 * @param edges number of edges of the dependency graph after cycle removal
 * @param influence the globally normalised influence-domain term
 * @param magnitude the per-matrix normalised orthogonality-aware magnitude term
 */
public record SalienceResult(
    double[] scores,
    boolean[] keep,
    double threshold,
    int kept,
    long edges,
    double[] influence,
    double[] magnitude) {}
