package io.salientstream.core.lora;

import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.BinaryState;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.Inputs;
import io.salientstream.core.policy.PolicyKind;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.policy.StepInput;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Plain LoRA with a fixed rank per matrix: the baseline. It never prunes, so {@link #onStep} never
 * returns a decision and the budget is always N = Σ r_k. It only tracks the step counter (so hosts
 * can treat all policies alike, including step-order checks and checkpoints).
 */
public final class FixedRankLora implements RankPolicy {
  public static final String NAME = "lora";

  /** The registration: B·A adapters at a fixed rank, nothing to derive or schedule. */
  public static final PolicyKind KIND =
      new PolicyKind(
          NAME,
          PolicyKind.AdapterForm.LOW_RANK_PRODUCT,
          Map.of(),
          null,
          null,
          run -> Map.of(),
          true,
          false,
          (p, layout) -> new FixedRankLora(layout));

  private final AdapterLayout layout;
  private long lastStep = -1;

  public FixedRankLora(AdapterLayout layout) {
    this.layout = layout;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public AdapterLayout layout() {
    return layout;
  }

  @Override
  public boolean decidesAt(long step) {
    return false;
  }

  @Override
  public Set<Input> inputs() {
    return RankPolicy.inputSet();
  }

  @Override
  public Set<Input> inputsAt(long step) {
    return inputs();
  }

  /** Never decides, so never revives. */
  @Override
  public boolean mayRevive() {
    return false;
  }

  @Override
  public Optional<Decision> onStep(StepInput input) {
    Inputs.requireAfter(NAME, input.step(), lastStep);
    lastStep = input.step();
    return Optional.empty();
  }

  @Override
  public int budgetAt(long step) {
    return layout.totalRank();
  }

  @Override
  public Optional<Decision> lastDecision() {
    return Optional.empty();
  }

  /** The snapshot layout (type {@code LRA}, version 1): policy, N, last step. */
  public static final BinaryState.Format SNAPSHOT =
      new BinaryState.Format("LRA", 1, NAME + " policy snapshot");

  @Override
  public byte[] snapshotState() {
    return SNAPSHOT
        .writer(64)
        .putString(NAME)
        .putInt(layout.totalRank())
        .putLong(lastStep)
        .toBytes();
  }

  @Override
  public void restoreState(byte[] bytes) {
    BinaryState.Reader r = SNAPSHOT.reader(bytes);
    String policy = r.getString();
    int n = r.getInt();
    long last = r.getLong();
    r.requireEnd();
    if (!NAME.equals(policy) || n != layout.totalRank()) {
      throw new IllegalArgumentException(
          NAME
              + ": snapshot is for policy '"
              + policy
              + "' with N="
              + n
              + ", this policy has N="
              + layout.totalRank());
    }
    lastStep = last;
  }
}
