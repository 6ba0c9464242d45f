package io.salientstream.trainer.host;

import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.policy.StepInput;
import io.salientstream.trainer.host.TrainerStep.InputStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Hosts a core {@link RankPolicy} in the trainer's JVM ({@code --allocation in-process}): each
 * {@link TrainerStep} becomes a {@link StepInput}; each {@link Decision} goes to the trainer as it
 * is, applying at {@link Decision#effectiveFrom()}.
 */
public final class InProcessAllocationHost implements AllocationHost {

  private final RankPolicy policy;
  private final Set<Need> needs;

  public InProcessAllocationHost(RankPolicy policy) {
    this.policy = policy;
    this.needs = AllocationHost.needsOf(policy);
  }

  public RankPolicy policy() {
    return policy;
  }

  @Override
  public String policyName() {
    return policy.name();
  }

  @Override
  public Set<Need> needs() {
    return needs;
  }

  /**
   * PRILoRA's inputs only at its pruning steps (the policy reads them nowhere else); AdaLoRA's
   * scores at every step (the in-process reference has always fed them so).
   */
  @Override
  public boolean needsAt(Need need, long step) {
    return need == Need.INPUT_STATS
        ? AllocationHost.readsAt(policy, need, step)
        : needs.contains(need);
  }

  @Override
  public List<Decision> afterStep(TrainerStep e) {
    List<StepInput.PriLoraMatrixInput> pri = null;
    if (e.inputStats() != null) {
      pri = new ArrayList<>();
      for (InputStats s : e.inputStats()) {
        pri.add(new StepInput.PriLoraMatrixInput(s.absA(), s.inputNormEma()));
      }
    }
    boolean svd = e.matrices().stream().anyMatch(m -> m.singularValues() != null);
    StepInput in =
        new StepInput(
            e.step(),
            e.orthRegLoss(),
            svd ? e.concatenatedSingularValues() : null,
            e.tripletImportance(),
            pri);
    Optional<Decision> d = policy.onStep(in);
    return d.map(List::of).orElse(List.of());
  }

  @Override
  public byte[] snapshot() {
    return policy.snapshotState();
  }

  @Override
  public void restore(byte[] state) {
    policy.restoreState(state);
  }
}
