package io.salientstream.trainer.host;

import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.RankPolicy;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The trainer's per-step hook for rank allocation. After every optimizer step the trainer builds a
 * {@link TrainerStep} (with the optional parts this host {@linkplain #needs() needs}) and calls
 * {@link #afterStep}; the returned {@link Decision}s — the core's type, whether the policy ran
 * in-process or its decision came back over Kafka as a command — are queued and applied at the step
 * boundary they name ({@link Decision#effectiveFrom()}).
 *
 * <p>Implementations: {@link InProcessAllocationHost} (a core policy in the trainer's JVM, the
 * reference behaviour). A Kafka host would publish the event and return the commands consumed so
 * far (possibly none), keyed by the step they apply at; replaying the same commands at the same
 * steps reproduces the in-process run bit for bit.
 */
public interface AllocationHost extends AutoCloseable {

  /**
   * Optional per-step data a host can ask for (singular values, losses and masks are always
   * present).
   */
  enum Need {
    /**
     * AdaLoRA: |w·∂L/∂w| of P, Λ and Q, taken after the optimizer step and before zero-grad, as
     * triplet scores.
     */
    TRIPLET_IMPORTANCE,
    /** PRILoRA: |A| and the EMA of per-feature input norms from a forward hook. */
    INPUT_STATS
  }

  /** The policy name (for reports and exported provenance). */
  String policyName();

  Set<Need> needs();

  /**
   * Whether the event of step {@code step} must carry {@code need}; the trainer builds only those
   * parts (PRILoRA's |A| of every matrix is read only at its pruning steps). Default: at every
   * step, if needed at all.
   */
  default boolean needsAt(Need need, long step) {
    return needs().contains(need);
  }

  /** The optional parts a core policy reads ({@link RankPolicy#inputs()}) as trainer needs. */
  static Set<Need> needsOf(RankPolicy policy) {
    Set<Need> needs = EnumSet.noneOf(Need.class);
    for (RankPolicy.Input in : policy.inputs()) {
      switch (in) {
        case TRIPLET_SCORES -> needs.add(Need.TRIPLET_IMPORTANCE);
        case PRILORA -> needs.add(Need.INPUT_STATS);
        default -> {} // singular values and R are always in the event
      }
    }
    return needs;
  }

  /**
   * Whether {@code policy} reads what {@code need} provides at {@code step} ({@link
   * RankPolicy#inputsAt}).
   */
  static boolean readsAt(RankPolicy policy, Need need, long step) {
    Set<RankPolicy.Input> at = policy.inputsAt(step);
    return switch (need) {
      case TRIPLET_IMPORTANCE -> at.contains(RankPolicy.Input.TRIPLET_SCORES);
      case INPUT_STATS -> at.contains(RankPolicy.Input.PRILORA);
    };
  }

  /**
   * Called once per optimizer step, in step order.
   *
   * <p>At the end of optimizer step {@code s} (after the update and zero-grad) the trainer
   * activates every queued decision with {@code effectiveFrom <= s} in order of {@code
   * effectiveFrom}, then multiplies the masked parameters (Λ for SVD adapters, A for plain LoRA) by
   * the decision's mask. A {@code persistent} mask is re-applied after every later step until
   * another decision replaces it; a non-persistent one is applied once (AdaLoRA between mask steps:
   * gradients may revive pruned values). A decision that arrives after its step has passed is
   * applied at the next boundary and counted as late in the run report. Only the step, persistence
   * and mask of a decision are used (a decision from Kafka carries no diagnostics).
   */
  List<Decision> afterStep(TrainerStep event);

  /**
   * Host state for checkpoints (policy state, pending commands); restored with {@link #restore}.
   */
  byte[] snapshot();

  void restore(byte[] state);

  /**
   * Restores a checkpoint's host state for the {@code resumeNumber}-th resume from that checkpoint
   * folder ({@code TrainerCheckpoint.claimResume}: 1, 2, 3 ... never twice), so a host that needs a
   * fresh run identity (the Kafka host's epoch) can derive one that no other resume of the same
   * checkpoint gets. By default the same as {@link #restore(byte[])}.
   */
  default void restore(byte[] state, long resumeNumber) {
    restore(state);
  }

  /** The run failed with {@code cause} (called before {@link #close}); by default nothing. */
  default void fail(Throwable cause) {}

  @Override
  default void close() {}
}
