package io.salientstream.core.policy;

import java.util.List;

/**
 * What a host feeds a policy after each optimizer step {@code s} (after {@code optimizer.step()}).
 *
 * <p>Required inputs depend on the policy: SalientLoRA needs {@link #orthRegLoss} and {@link
 * #singularValues}; AdaLoRA needs {@link #tripletScores} (from {@link
 * io.salientstream.core.adalora.AdaLoraImportance}); PRILoRA needs {@link #priLora}; fixed-rank
 * LoRA needs nothing. A policy rejects a step that lacks an input it needs with an {@link
 * IllegalArgumentException} naming the field. Policies never keep references to the arrays passed
 * in.
 *
 * @param step the optimizer step index, counted from 0: the trainer's global step <em>before</em>
 *     its increment (spec §2.1 symbol s). Steps must be fed in increasing order.
 * @param orthRegLoss the orthogonal-regulariser value R_s computed in this step's forward pass
 *     (spec §1); NaN if the host has none
 * @param singularValues the N current singular values λ in global order ({@link AdapterLayout});
 *     may be {@code null} for policies that do not use them
 * @param tripletScores optional: N per-triplet importance scores in global order (AdaLoRA, spec
 *     §3.2)
 * @param priLora optional: one entry per matrix in layout order (PRILoRA, spec §4)
 */
public record StepInput(
    long step,
    double orthRegLoss,
    double[] singularValues,
    double[] tripletScores,
    List<PriLoraMatrixInput> priLora) {

  /**
   * Inputs of one matrix for PRILoRA: the current |A| entries and the input-feature EMA of input
   * norms.
   */
  public record PriLoraMatrixInput(double[] absA, double[] inputNormEma) {}

  /** A step with the SalientLoRA inputs only. */
  public static StepInput salient(long step, double orthRegLoss, double[] singularValues) {
    return new StepInput(step, orthRegLoss, singularValues, null, null);
  }

  /** A step with AdaLoRA triplet scores (from {@code AdaLoraImportance.tripletScores()}). */
  public static StepInput adaLora(long step, double[] tripletScores) {
    return new StepInput(step, Double.NaN, null, tripletScores, null);
  }

  /** A step with PRILoRA inputs. */
  public static StepInput priLora(long step, List<PriLoraMatrixInput> perMatrix) {
    return new StepInput(step, Double.NaN, null, null, perMatrix);
  }

  /** A step that carries no inputs (enough for fixed-rank LoRA). */
  public static StepInput bare(long step) {
    return new StepInput(step, Double.NaN, null, null, null);
  }
}
