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
