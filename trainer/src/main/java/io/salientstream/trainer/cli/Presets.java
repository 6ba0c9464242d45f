package io.salientstream.trainer.cli;

import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.PolicyKind;
import io.salientstream.trainer.task.RankRecoveryTask;
import io.salientstream.trainer.train.Experiment;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Task presets: the defaults that make each task do what it is for, per policy where it matters. A
 * run takes every run option it is not given from its task's preset (then from the plain defaults
 * below); a flag given always wins. {@code --show-preset} prints the resolved settings, {@code
 * --no-preset} turns presets off.
 *
 * <ul>
 *   <li>{@code rank-recovery} recovers the true ranks: the budget is Σ true ranks of the task
 *       (derived from {@link RankRecoveryTask#trueRanks}, so it follows {@code --matrices}, {@code
 *       --max-true-rank} and {@code --seed}), learning rate 3e-2, orthogonality coefficient 0.1,
 *       and allocation starting once Λ has started to learn (a fraction of {@code --steps}, per
 *       policy);
 *   <li>{@code wordnet} uses the best settings measured so far (trainer/README.md): 120 steps ×
 *       batch 16, seq 32, lr 3e-3, orth-coef 0.1, rank 12 → 4; the frozen-encoder probe gets lr
 *       1e-2;
 *   <li>{@code sentiment} takes the same values as {@code wordnet} (untuned; {@code bench policies}
 *       chooses learning rates on the validation split).
 * </ul>
 *
 * Steps and batch are per task only, so {@code compare} keeps one step budget for all its policies.
 */
final class Presets {

  /** Run options a preset can fill, in print order. */
  static final List<String> OPTIONS =
      List.of("--steps", "--batch", "--seq", "--lr", "--orth-coef", "--rank", "--target-rank");

  /**
   * Values used where neither a flag nor the preset gives one (the defaults before presets
   * existed).
   */
  static final Map<String, String> PLAIN =
      Map.of(
          "--steps",
          "300",
          "--batch",
          "32",
          "--seq",
          "64",
          "--lr",
          "1e-3",
          "--orth-coef",
          "0.5",
          "--rank",
          "12",
          "--target-rank",
          "4");

  /**
   * Where a policy parameter of a preset comes from: a fixed value or a fraction of the run's
   * steps.
   */
  record Param(String key, double fractionOfSteps, String fixed, String note) {

    static Param ofSteps(String key, double fraction, String note) {
      return new Param(key, fraction, null, note);
    }

    static Param fixed(String key, String value, String note) {
      return new Param(key, Double.NaN, value, note);
    }

    String value(int steps) {
      return fixed != null ? fixed : Integer.toString((int) Math.round(fractionOfSteps * steps));
    }
  }

  /**
   * One task's preset for one policy.
   *
   * @param name "task/policy"
   * @param options run option → value as typed on the command line
   * @param notes run option → why (printed next to the value)
   * @param params core policy parameters (below any {@code --policy-param})
   */
  record Preset(
      String name, Map<String, String> options, Map<String, String> notes, List<Param> params) {}

  private Presets() {}

  /**
   * The preset of {@code task} for {@code policy}. Rank recovery needs the task's sizes and seed
   * for its budget (Σ true ranks).
   */
  static Preset of(String task, String policy, int matrices, int maxTrueRank, long seed) {
    String t = task.toLowerCase(Locale.ROOT);
    String p = policy.toLowerCase(Locale.ROOT);
    Map<String, String> o = new LinkedHashMap<>();
    Map<String, String> notes = new LinkedHashMap<>();
    List<Param> params = List.of();
    switch (t) {
      case "rank-recovery" -> {
        o.put("--steps", "1200");
        o.put("--batch", "128");
        o.put("--lr", "3e-2");
        o.put("--orth-coef", "0.1");
        o.put("--rank", "12");
        int[] truth = RankRecoveryTask.trueRanks(matrices, maxTrueRank, seed);
        int budget = Arrays.stream(truth).sum();
        o.put("--target-rank", trim((double) budget / matrices));
        notes.put(
            "--target-rank",
            "budget " + budget + " = Σ true ranks of the " + matrices + " matrices");
        // SVD adapters start with Λ = 0: allocation waits until Λ has started to learn (the policy
        // names its
        // allocation-start parameter)
        params =
            Policies.find(p)
                .filter(
                    k ->
                        k.adapterForm() == PolicyKind.AdapterForm.SVD
                            && k.allocationStart() != null)
                .map(
                    k ->
                        List.of(
                            Param.ofSteps(
                                k.allocationStart(), 0.3, "allocation starts at 30 % of --steps")))
                .orElse(List.of());
      }
      case "wordnet", "sentiment" -> {
        o.put("--steps", "120");
        o.put("--batch", "16");
        o.put("--seq", "32");
        o.put("--rank", "12");
        o.put("--target-rank", "4");
        if (p.equals(Experiment.PROBE)) {
          o.put("--lr", "1e-2");
          notes.put("--lr", "the head-only probe's best");
        } else {
          o.put("--lr", "3e-3");
          o.put("--orth-coef", "0.1");
        }
      }
      default -> {}
    }
    return new Preset(t + "/" + p, o, notes, params);
  }

  /** A double as typed: no trailing ".0". */
  static String trim(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }
}
