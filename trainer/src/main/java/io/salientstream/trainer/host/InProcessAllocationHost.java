package io.salientstream.trainer.host;

import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.policy.StepInput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Hosts a core {@link RankPolicy} in the trainer's JVM ({@code --allocation in-process}): each {@link StepEvent} becomes
 * a {@link StepInput}; each {@link Decision} becomes a {@link MaskCommand} applying at {@link Decision#effectiveFrom()}.
 */
public final class InProcessAllocationHost implements AllocationHost {

  private final RankPolicy policy;
  private final Set<Need> needs;

  public InProcessAllocationHost(RankPolicy policy) {
    this.policy = policy;
    this.needs = switch (policy.name()) {
      case "adalora" -> EnumSet.of(Need.TRIPLET_IMPORTANCE);
      case "prilora" -> EnumSet.of(Need.INPUT_STATS);
      default -> EnumSet.noneOf(Need.class);
    };
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

  @Override
  public List<MaskCommand> afterStep(StepEvent e) {
    List<StepInput.PriLoraMatrixInput> pri = null;
    if (e.inputStats() != null) {
      pri = new ArrayList<>();
      for (InputStats s : e.inputStats()) {
        pri.add(new StepInput.PriLoraMatrixInput(s.absA(), s.inputNormEma()));
      }
    }
    boolean svd = e.matrices().stream().anyMatch(m -> m.singularValues() != null);
    StepInput in = new StepInput(e.step(), e.orthRegLoss(), svd ? e.concatenatedSingularValues() : null,
        e.tripletImportance(), pri);
    Optional<Decision> d = policy.onStep(in);
    return d.map(x -> List.of(toCommand(x, policy.layout()))).orElse(List.of());
  }

  /** Splits a core decision into per-matrix keep bits. */
  public static MaskCommand toCommand(Decision d, AdapterLayout layout) {
    List<boolean[]> keep = new ArrayList<>();
    if (d.mask() instanceof MaskUpdate.TripletMask t) {
      boolean[] all = t.keep();
      int[] off = layout.offsets();
      for (int k = 0; k < layout.size(); k++) {
        keep.add(Arrays.copyOfRange(all, off[k], off[k + 1]));
      }
    } else if (d.mask() instanceof MaskUpdate.EntryMask em) {
      keep.addAll(em.perMatrix());
    }
    return new MaskCommand(d.effectiveFrom(), d.persistent(), keep,
        "in-process decision of step " + d.decidedAt() + " (budget " + d.budget() + ")");
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
