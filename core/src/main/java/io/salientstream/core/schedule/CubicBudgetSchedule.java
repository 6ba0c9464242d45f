package io.salientstream.core.schedule;

/**
 * AdaLoRA's cubic budget schedule (spec {@code algorithms.md} §3.3, peft {@code budget_schedule}):
 *
 * <pre>
 *   t ≤ t_i:                 b = b0, no mask
 *   t_i &lt; t &lt; S − t_f:       b = trunc( (b0 − bT)·(1 − (t − t_i)/(S − t_f − t_i))³ + bT ), mask iff t mod ΔT = 0
 *   t = S − t_f:             b = bT, forced final mask
 *   t &gt; S − t_f:             b = bT, the final mask stays in force
 * </pre>
 *
 * The numerator is (t − t_i) as in the code (the paper's Eq. 14 prints t − t_i − t_f, a typo per
 * spec §3.3).
 *
 * @param totalSteps S
 * @param initialSteps t_i (peft {@code tinit})
 * @param finalSteps t_f (peft {@code tfinal})
 * @param deltaT ΔT, steps between masks
 * @param initialBudget b0 = Σ r_k
 * @param targetBudget bT
 */
public record CubicBudgetSchedule(
    long totalSteps,
    long initialSteps,
    long finalSteps,
    long deltaT,
    int initialBudget,
    int targetBudget) {
  public CubicBudgetSchedule {
    if (totalSteps <= 0)
      throw new IllegalArgumentException(
          "adalora schedule: totalSteps must be > 0, got " + totalSteps);
    if (initialSteps < 0 || finalSteps < 0)
      throw new IllegalArgumentException("adalora schedule: tInit and tFinal must be >= 0");
    if (initialSteps >= totalSteps - finalSteps) {
      throw new IllegalArgumentException(
          "adalora schedule: need tInit < totalSteps - tFinal, got "
              + initialSteps
              + " >= "
              + (totalSteps - finalSteps));
    }
    if (deltaT < 1)
      throw new IllegalArgumentException("adalora schedule: deltaT must be >= 1, got " + deltaT);
    if (targetBudget < 0 || targetBudget > initialBudget) {
      throw new IllegalArgumentException(
          "adalora schedule: targetBudget must be in [0, "
              + initialBudget
              + "], got "
              + targetBudget);
    }
  }

  /** S − t_f: the step of the forced final mask. */
  public long finalMaskStep() {
    return totalSteps - finalSteps;
  }

  public int budgetAt(long t) {
    if (t <= initialSteps) return initialBudget;
    if (t >= finalMaskStep()) return targetBudget;
    double remaining = 1 - (double) (t - initialSteps) / (finalMaskStep() - initialSteps);
    return (int) ((initialBudget - targetBudget) * Math.pow(remaining, 3) + targetBudget);
  }

  /**
   * True if a mask is computed at step t (a ΔT multiple inside the allocation phase, or the forced
   * final step).
   */
  public boolean isMaskStep(long t) {
    if (t <= initialSteps || t > finalMaskStep()) return false;
    return t == finalMaskStep() || t % deltaT == 0;
  }
}
