package io.salientstream.core.policy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * What a rank-allocation policy is before an instance exists — one per policy, registered in {@link
 * Policies}. Hosts (the trainer, the analyzer, the pruner, the demo and {@code compare}) ask it
 * instead of switching on the policy's name, so a new policy is core code plus one registration.
 *
 * @param name the factory name
 * @param adapterForm the adapters a trainer builds for it
 * @param scheduleParams an experiment registration's budget-schedule field (totalSteps,
 *     initialWarmupSteps, finalSteps, targetBudget) → this policy's parameter name; fields it
 *     ignores are absent
 * @param allocationStart the parameter that sets the step where allocation starts (null: none)
 * @param decisionInterval the parameter that sets the steps between decisions, if it has a fixed
 *     one (null: none)
 * @param derive the parameters a run derives for it from its shape (steps, matrices, mean target
 *     rank)
 * @param trainsAtTargetRank whether it trains at a fixed rank, so an equal-budget comparison gives
 *     it the target rank itself as its rank (fixed-rank LoRA)
 * @param nonFiniteScores whether its decisions may report non-finite scores (SalientLoRA's
 *     reference mode gives NaN for a fully pruned matrix)
 * @param factory builds it from validated parameters and the adapters' layout
 */
public record PolicyKind(
    String name,
    AdapterForm adapterForm,
    Map<String, String> scheduleParams,
    String allocationStart,
    String decisionInterval,
    Function<RunShape, Map<String, String>> derive,
    boolean trainsAtTargetRank,
    boolean nonFiniteScores,
    BiFunction<Params, AdapterLayout, RankPolicy> factory) {

  /** The adapters a policy allocates. */
  public enum AdapterForm {
    /** SVD form P·Λ·Q: the policy keeps or prunes singular values (triplets). */
    SVD,
    /** Plain low-rank product B·A: fixed ranks, or entries of A pruned (PRILoRA). */
    LOW_RANK_PRODUCT
  }

  /**
   * The shape of a training run, from which policies derive their schedules.
   *
   * @param steps optimizer steps
   * @param matrices adapted matrices
   * @param targetRank mean final rank per matrix
   */
  public record RunShape(int steps, int matrices, double targetRank) {
    /** The final budget: round(target rank × matrices). */
    public String targetBudget() {
      return Integer.toString((int) Math.round(targetRank * matrices));
    }
  }

  /** Parameters in the order given: {@code ordered("a", "1", "b", "2")}. */
  public static Map<String, String> ordered(String... keysAndValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return Collections.unmodifiableMap(m);
  }

  /**
   * The parameters a run of this shape derives for the policy (explicit parameters override them).
   */
  public Map<String, String> derivedParams(RunShape run) {
    return derive.apply(run);
  }
}
