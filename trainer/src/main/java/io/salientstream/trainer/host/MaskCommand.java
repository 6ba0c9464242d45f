package io.salientstream.trainer.host;

import java.util.List;

/**
 * A mask the trainer applies at a step boundary.
 *
 * <p>At the end of optimizer step {@code s} (after the update and zero-grad) the trainer activates
 * every queued command with {@code applyAtStep <= s} in order of {@code applyAtStep}, then
 * multiplies the masked parameters (Λ for SVD adapters, A for plain LoRA) by the active mask. A
 * {@code persistent} mask is re-applied after every later step until another command replaces it; a
 * non-persistent one is applied once (AdaLoRA between mask steps: gradients may revive pruned
 * values). A command that arrives after its step has passed is applied at the next boundary and
 * counted as late in the run report.
 *
 * @param applyAtStep first step whose post-update parameters the mask applies to
 * @param persistent re-apply after every step until replaced
 * @param keep per matrix in layout order: r_k triplet bits (SVD) or r_k·d_in entry bits of A (LoRA)
 * @param origin who decided it (policy name, decision step; a Kafka host would put the command id
 *     here)
 */
public record MaskCommand(
    long applyAtStep, boolean persistent, List<boolean[]> keep, String origin) {

  public MaskCommand {
    keep = keep.stream().map(boolean[]::clone).toList();
  }

  /** Total kept units (triplets or A entries). */
  public int keptCount() {
    int c = 0;
    for (boolean[] k : keep) {
      for (boolean b : k) {
        c += b ? 1 : 0;
      }
    }
    return c;
  }
}
