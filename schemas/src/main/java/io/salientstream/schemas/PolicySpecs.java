package io.salientstream.schemas;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.BudgetSchedule;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.PolicyKind;
import io.salientstream.core.policy.RankPolicy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The one mapping from an experiment registration to the core's policy factory, used by every host
 * (the in-process trainer, the salience-analyzer, the pruner) so that all of them build the same
 * policy from the same record.
 *
 * <p>The budget schedule's fields become policy parameters under the names the policy gives them
 * ({@link PolicyKind#scheduleParams()}); every other parameter is taken from {@code policyParams}
 * as given. A policy that ignores a schedule field (fixed-rank LoRA ignores all of them) does not
 * receive it.
 */
public final class PolicySpecs {

  private PolicySpecs() {}

  public static AdapterLayout layout(ExperimentSpec spec) {
    List<AdapterLayout.Matrix> ms = new ArrayList<>();
    for (AdaptedMatrix m : spec.getMatrices()) {
      ms.add(
          new AdapterLayout.Matrix(
              m.getName(), m.getLayer(), m.getDOut(), m.getDIn(), m.getInitialRank()));
    }
    return new AdapterLayout(ms);
  }

  /**
   * The parameters handed to {@link Policies#create}: the schedule's fields under the policy's
   * names, overridden by the registration's own parameters (a {@code targetRank} parameter replaces
   * the schedule's target budget).
   */
  public static Map<String, String> params(ExperimentSpec spec) {
    Map<String, String> p = new TreeMap<>();
    Map<String, String> names =
        Policies.find(spec.getPolicy()).map(PolicyKind::scheduleParams).orElse(Map.of());
    BudgetSchedule s = spec.getSchedule();
    put(p, names, "totalSteps", s.getTotalSteps());
    put(p, names, "initialWarmupSteps", s.getInitialWarmupSteps());
    put(p, names, "finalSteps", s.getFinalSteps());
    if (!spec.getPolicyParams().containsKey("targetRank")) {
      put(p, names, "targetBudget", s.getTargetBudget());
    }
    p.putAll(spec.getPolicyParams());
    return p;
  }

  private static void put(
      Map<String, String> p, Map<String, String> names, String field, Number value) {
    String name = names.get(field);
    if (name != null) {
      p.put(name, String.valueOf(value));
    }
  }

  public static RankPolicy create(ExperimentSpec spec) {
    return Policies.create(spec.getPolicy(), params(spec), layout(spec));
  }

  /**
   * Builds the policy once to reject a registration that cannot run, with the factory's message;
   * also one whose matrices do not have the ranks the policy allocates ({@link
   * RankPolicy#layout()}: PRILoRA sets its own per-layer ranks, so its registration must carry them
   * — every event and mask is sized by them).
   */
  public static void validate(ExperimentSpec spec) {
    if (spec.getMatrices().isEmpty()) {
      throw new IllegalArgumentException(
          "experiment '" + spec.getExperimentId() + "' registers no matrices");
    }
    RankPolicy policy;
    try {
      policy = create(spec);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "experiment '" + spec.getExperimentId() + "': " + e.getMessage(), e);
    }
    for (int k = 0; k < spec.getMatrices().size(); k++) {
      int registered = spec.getMatrices().get(k).getInitialRank();
      int allocated = policy.layout().matrix(k).initialRank();
      if (registered != allocated) {
        throw new IllegalArgumentException(
            "experiment '"
                + spec.getExperimentId()
                + "': matrix "
                + k
                + " '"
                + spec.getMatrices().get(k).getName()
                + "' is registered with rank "
                + registered
                + " but policy "
                + policy.name()
                + " allocates rank "
                + allocated
                + " (register the policy's layout)");
      }
    }
  }

  /**
   * A hash of what determines the allocation (policy, parameters, schedule, matrices) — not of the
   * registration time or description — so re-publishing the same registration is recognised as
   * unchanged.
   */
  public static long fingerprint(ExperimentSpec spec) {
    StringBuilder sb = new StringBuilder();
    sb.append(spec.getPolicy()).append('|').append(new TreeMap<>(params(spec))).append('|');
    for (AdaptedMatrix m : spec.getMatrices()) {
      sb.append(m.getName())
          .append(',')
          .append(m.getLayer())
          .append(',')
          .append(m.getDOut())
          .append(',')
          .append(m.getDIn())
          .append(',')
          .append(m.getInitialRank())
          .append(';');
    }
    sb.append('|').append(spec.getSchedule().getInitialBudget());
    long h = 1125899906842597L; // 64-bit polynomial string hash, stable across JVMs
    for (byte b : sb.toString().getBytes(StandardCharsets.UTF_8)) {
      h = 31 * h + b;
    }
    return h;
  }

  /**
   * What makes {@code proposed} a different experiment from the running registration {@code
   * running} under the same id (issue 15, experiment-id ownership), or empty when it is the same
   * experiment — re-published, or registered again by a run resumed from a checkpoint. Compared:
   * the policy and its parameters, the matrices (names, layers, sizes, ranks), the whole budget
   * schedule and the seed; not the registration time, description, tenant label or allocation mode.
   */
  public static Optional<String> definitionChange(ExperimentSpec running, ExperimentSpec proposed) {
    if (!running.getPolicy().equals(proposed.getPolicy())) {
      return Optional.of(
          "policy " + clip(proposed.getPolicy()) + " instead of " + running.getPolicy());
    }
    if (!new TreeMap<>(params(running)).equals(new TreeMap<>(params(proposed)))) {
      return Optional.of(
          "policy parameters "
              + clip(String.valueOf(new TreeMap<>(params(proposed))))
              + " instead of "
              + clip(String.valueOf(new TreeMap<>(params(running)))));
    }
    List<AdaptedMatrix> a = running.getMatrices();
    List<AdaptedMatrix> b = proposed.getMatrices();
    if (a.size() != b.size()) {
      return Optional.of(b.size() + " matrices instead of " + a.size());
    }
    for (int k = 0; k < a.size(); k++) {
      if (!a.get(k).equals(b.get(k))) {
        return Optional.of(
            "matrix "
                + k
                + " "
                + clip(String.valueOf(b.get(k)))
                + " instead of "
                + clip(String.valueOf(a.get(k))));
      }
    }
    if (!running.getSchedule().equals(proposed.getSchedule())) {
      return Optional.of(
          "schedule "
              + clip(String.valueOf(proposed.getSchedule()))
              + " instead of "
              + clip(String.valueOf(running.getSchedule())));
    }
    if (running.getSeed() != proposed.getSeed()) {
      return Optional.of("seed " + proposed.getSeed() + " instead of " + running.getSeed());
    }
    return Optional.empty();
  }

  /**
   * The one-line refusal of a registration that would take over the running experiment {@code id}
   * with a different definition ({@link #definitionChange}).
   */
  public static String ownershipRefusal(String id, String change) {
    return "experiment '"
        + clip(id)
        + "' is running with a different definition (this registration has "
        + change
        + "): refused, the running experiment keeps its registration; register under another"
        + " experiment id, or once the running one finished (its registration is deleted when it"
        + " finishes; a failed run keeps it so that it can be resumed with the same definition)";
  }

  private static String clip(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }
}
