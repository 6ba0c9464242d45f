package io.salientstream.core.policy;

import io.salientstream.core.adalora.AdaLoraPolicy;
import io.salientstream.core.lora.FixedRankLora;
import io.salientstream.core.prilora.PriLoraPolicy;
import io.salientstream.core.salient.SalientLoraPolicy;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Creates policies by name. Parameters are strings (so they can come from a CLI, a topic config or
 * a REST call); each policy documents its parameters and defaults in its class javadoc and in
 * {@code core/README.md}. Unknown or malformed parameters are rejected with an {@link
 * IllegalArgumentException} naming the parameter.
 *
 * <ul>
 *   <li>{@code salientlora} ({@link io.salientstream.core.salient.SalientLoraPolicy}): mode=clean,
 *       totalSteps, initialWarmup, finalSteps (required), targetRank=2 | targetBudget, beta=0.9,
 *       gamma=2, lambda=0.7 (clean), tInit=10, tFinal=200, threads;
 *   <li>{@code adalora} ({@link io.salientstream.core.adalora.AdaLoraPolicy}): totalSteps
 *       (required), tInit=0, tFinal=0, deltaT=1, targetRank=8 | targetBudget;
 *   <li>{@code prilora} ({@link io.salientstream.core.prilora.PriLoraPolicy}): rLow=4, rHigh=12,
 *       rankRounding=halfEven, pruneRatio=0.1, pruneInterval=100, pruneStart=0, pruneEnd,
 *       grouping=row, regrowth=true, ratioSchedule=constant;
 *   <li>{@code lora} ({@link io.salientstream.core.lora.FixedRankLora}): none.
 * </ul>
 */
public final class Policies {
  /** Every policy, in the order help texts list them. */
  public static final List<PolicyKind> KINDS =
      List.of(SalientLoraPolicy.KIND, AdaLoraPolicy.KIND, PriLoraPolicy.KIND, FixedRankLora.KIND);

  /** The names {@link #create} accepts. */
  public static final List<String> NAMES = KINDS.stream().map(PolicyKind::name).toList();

  private Policies() {}

  /** The registered policy of this name (case-insensitive). */
  public static Optional<PolicyKind> find(String name) {
    if (name == null) return Optional.empty();
    String n = name.trim().toLowerCase(Locale.ROOT);
    return KINDS.stream().filter(k -> k.name().equals(n)).findFirst();
  }

  /**
   * @throws IllegalArgumentException naming the known policies when there is none of this name
   */
  public static PolicyKind kind(String name) {
    return find(name)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown policy '" + name + "' (one of " + NAMES + ")"));
  }

  public static RankPolicy create(String name, Map<String, String> params, AdapterLayout layout) {
    if (name == null)
      throw new IllegalArgumentException("policy name is required (one of " + NAMES + ")");
    if (layout == null) throw new IllegalArgumentException(name + ": layout is required");
    PolicyKind kind = kind(name);
    Params p = new Params(kind.name(), params);
    RankPolicy policy = kind.factory().apply(p, layout);
    p.rejectUnknown();
    return policy;
  }
}
