package io.salientstream.core.policy;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * A rank-allocation policy, hosted the same way by the in-process trainer and by the Kafka Streams
 * apps.
 *
 * <p><b>Protocol.</b> A host creates a policy with {@link Policies#create}, allocates the adapters
 * described by {@link #layout()}, and after every optimizer step s (in increasing order, starting
 * anywhere ≥ 0) calls {@link #onStep(StepInput)}. When it returns a {@link Decision} the host
 * applies its mask from {@link Decision#effectiveFrom()} on. {@link #budgetAt(long)} is the budget
 * of the schedule (for monitoring).
 *
 * <p><b>Determinism.</b> Given the same layout, parameters and sequence of inputs, a policy returns
 * bit-identical decisions, also after {@link #snapshotState()} / {@link #restoreState(byte[])} at
 * any step boundary. All arithmetic is in double with a fixed summation order documented per class.
 *
 * <p>Policies are not thread-safe: one host thread per policy instance (they may use an internal
 * worker pool).
 */
public interface RankPolicy {

  /** The factory name: {@code salientlora}, {@code adalora}, {@code prilora} or {@code lora}. */
  String name();

  /**
   * The adapters the host must allocate (for PRILoRA the ranks come from the policy's per-layer
   * schedule).
   */
  AdapterLayout layout();

  /**
   * Feeds one optimizer step.
   *
   * @return a decision if the policy decided a new mask at this step, otherwise empty
   * @throws IllegalArgumentException if an input the policy needs is missing, has the wrong length,
   *     holds NaN/Inf, or the step is not after the previous one
   */
  Optional<Decision> onStep(StepInput input);

  /**
   * Whether {@link #onStep} returns a decision at step s when every step is fed in order — a pure
   * function of the parameters. A host that must wait for each decision (the Kafka loop in sync
   * mode) uses it to know when.
   */
  boolean decidesAt(long step);

  /** The optional parts of a {@link StepInput} a policy reads. */
  enum Input {
    /** {@link StepInput#orthRegLoss()} (SalientLoRA). */
    ORTH_REG_LOSS,
    /** {@link StepInput#singularValues()} (SalientLoRA). */
    SINGULAR_VALUES,
    /** {@link StepInput#tripletScores()} (AdaLoRA). */
    TRIPLET_SCORES,
    /** {@link StepInput#priLora()}: |A| and the input-norm EMA of every matrix (PRILoRA). */
    PRILORA
  }

  /** The shape of this policy's masks ({@link MaskUpdate}). */
  enum MaskKind {
    /** One keep bit per SVD triplet ({@link MaskUpdate.TripletMask}). */
    TRIPLET,
    /** One keep bit per entry of each matrix's A ({@link MaskUpdate.EntryMask}). */
    ENTRY
  }

  /**
   * Every input {@link #onStep} may read at some step: what a host must be able to produce (a pure
   * function of the parameters).
   */
  Set<Input> inputs();

  /**
   * The inputs {@link #onStep} reads at step s when every step is fed in order — a pure function of
   * the parameters. A host must supply these at s and may leave the others out ({@code null}, or
   * NaN for the regulariser); a host that sends its steps over the wire uses it to send bulky
   * inputs (PRILoRA's |A|) only where they are read.
   */
  Set<Input> inputsAt(long step);

  /** The shape of every {@link Decision#mask()} this policy returns. */
  default MaskKind maskKind() {
    return MaskKind.TRIPLET;
  }

  /**
   * Mask units per matrix in layout order: r_k for {@link MaskKind#TRIPLET}, r_k·d_in for {@link
   * MaskKind#ENTRY} (the flat concatenation is what a decision's mask covers).
   */
  default int[] maskWidths() {
    AdapterLayout l = layout();
    int[] w = new int[l.size()];
    for (int k = 0; k < w.length; k++) {
      AdapterLayout.Matrix m = l.matrix(k);
      w[k] = maskKind() == MaskKind.ENTRY ? m.initialRank() * m.dIn() : m.initialRank();
    }
    return w;
  }

  /**
   * Whether a decision may keep a unit that an earlier decision pruned. When false every decision
   * keeps a subset of the previous one and is {@link Decision#persistent() persistent}
   * (SalientLoRA; PRILoRA without regrowth); a host that receives decisions from elsewhere (the
   * pruner) refuses one that does not.
   */
  boolean mayRevive();

  /** A set of inputs (for implementations). */
  static Set<Input> inputSet(Input... inputs) {
    return inputs.length == 0 ? EnumSet.noneOf(Input.class) : EnumSet.of(inputs[0], inputs);
  }

  /** The total budget the schedule prescribes at step s (pure function of the parameters). */
  int budgetAt(long step);

  /**
   * How many step inputs the policy holds right now — SalientLoRA's time-series window; 0 for a
   * policy whose state does not grow with the steps fed. A host that persists state (the
   * salience-analyzer) uses it to see when a {@link #snapshotState() snapshot} is small, without
   * encoding one.
   */
  default int bufferedSteps() {
    return 0;
  }

  /** The latest decision, if any (what a host that restarts must re-apply). */
  Optional<Decision> lastDecision();

  /**
   * The complete mutable state (step counter, masks, window buffers, EMAs, countdowns) as bytes. A
   * policy created with the same name, parameters and layout and given these bytes via {@link
   * #restoreState} continues exactly as this one would.
   */
  byte[] snapshotState();

  /**
   * Replaces the mutable state with a snapshot taken from a policy of the same name, parameters and
   * layout.
   *
   * @throws IllegalArgumentException if the bytes are not such a snapshot (wrong policy, layout
   *     size or format)
   */
  void restoreState(byte[] state);
}
