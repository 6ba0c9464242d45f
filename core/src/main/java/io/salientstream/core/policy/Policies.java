package io.salientstream.core.policy;

import io.salientstream.core.adalora.AdaLoraPolicy;
import io.salientstream.core.lora.FixedRankLora;
import io.salientstream.core.prilora.PriLoraPolicy;
import io.salientstream.core.salient.SalientLoraPolicy;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Creates policies by name. Parameters are strings (so they can come from a CLI, a topic config or a REST call);
 * each policy documents its parameters and defaults in its class javadoc and in {@code core/README.md}. Unknown or
 * malformed parameters are rejected with an {@link IllegalArgumentException} naming the parameter.
 * <ul>
 *   <li>{@code salientlora} ({@link io.salientstream.core.salient.SalientLoraPolicy}): mode=clean, totalSteps,
 *       initialWarmup, finalSteps (required), targetRank=2 | targetBudget, beta=0.9, gamma=2, lambda=0.7 (clean),
 *       tInit=10, tFinal=200, threads;</li>
 *   <li>{@code adalora} ({@link io.salientstream.core.adalora.AdaLoraPolicy}): totalSteps (required), tInit=0,
 *       tFinal=0, deltaT=1, targetRank=8 | targetBudget;</li>
 *   <li>{@code prilora} ({@link io.salientstream.core.prilora.PriLoraPolicy}): rLow=4, rHigh=12,
 *       rankRounding=halfEven, pruneRatio=0.1, pruneInterval=100, pruneStart=0, pruneEnd, grouping=row,
 *       regrowth=true, ratioSchedule=constant;</li>
 *   <li>{@code lora} ({@link io.salientstream.core.lora.FixedRankLora}): none.</li>
 * </ul>
 */
public final class Policies {
    /** The names {@link #create} accepts. */
    public static final List<String> NAMES = List.of("salientlora", "adalora", "prilora", "lora");

    private Policies() {
    }

    public static RankPolicy create(String name, Map<String, String> params, AdapterLayout layout) {
        if (name == null) throw new IllegalArgumentException("policy name is required (one of " + NAMES + ")");
        if (layout == null) throw new IllegalArgumentException(name + ": layout is required");
        String n = name.trim().toLowerCase(Locale.ROOT);
        Params p = new Params(n, params);
        RankPolicy policy = switch (n) {
            case "salientlora" -> SalientLoraPolicy.fromParams(p, layout);
            case "adalora" -> AdaLoraPolicy.fromParams(p, layout);
            case "prilora" -> PriLoraPolicy.fromParams(p, layout);
            case "lora" -> new FixedRankLora(layout);
            default -> throw new IllegalArgumentException("unknown policy '" + name + "' (one of " + NAMES + ")");
        };
        p.rejectUnknown();
        return policy;
    }
}
