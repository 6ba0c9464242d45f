package io.salientstream.core.policy;

import java.util.Optional;

/**
 * A rank-allocation policy, hosted the same way by the in-process trainer and by the Kafka Streams apps.
 *
 * <p><b>Protocol.</b> A host creates a policy with {@link Policies#create}, allocates the adapters described by
 * {@link #layout()}, and after every optimizer step s (in increasing order, starting anywhere ≥ 0) calls
 * {@link #onStep(StepInput)}. When it returns a {@link Decision} the host applies its mask from
 * {@link Decision#effectiveFrom()} on. {@link #budgetAt(long)} is the budget of the schedule (for monitoring).
 *
 * <p><b>Determinism.</b> Given the same layout, parameters and sequence of inputs, a policy returns bit-identical
 * decisions, also after {@link #snapshotState()} / {@link #restoreState(byte[])} at any step boundary. All
 * arithmetic is in double with a fixed summation order documented per class.
 *
 * <p>Policies are not thread-safe: one host thread per policy instance (they may use an internal worker pool).
 */
public interface RankPolicy {

    /** The factory name: {@code salientlora}, {@code adalora}, {@code prilora} or {@code lora}. */
    String name();

    /** The adapters the host must allocate (for PRILoRA the ranks come from the policy's per-layer schedule). */
    AdapterLayout layout();

    /**
     * Feeds one optimizer step.
     *
     * @return a decision if the policy decided a new mask at this step, otherwise empty
     * @throws IllegalArgumentException if an input the policy needs is missing, has the wrong length, holds
     *                                  NaN/Inf, or the step is not after the previous one
     */
    Optional<Decision> onStep(StepInput input);

    /**
     * Whether {@link #onStep} returns a decision at step s when every step is fed in order — a pure function of the
     * parameters. A host that must wait for each decision (the Kafka loop in sync mode) uses it to know when.
     */
    boolean decidesAt(long step);

    /** The total budget the schedule prescribes at step s (pure function of the parameters). */
    int budgetAt(long step);

    /**
     * How many step inputs the policy holds right now — SalientLoRA's time-series window; 0 for a policy whose state
     * does not grow with the steps fed. A host that persists state (the salience-analyzer) uses it to see when a
     * {@link #snapshotState() snapshot} is small, without encoding one.
     */
    default int bufferedSteps() {
        return 0;
    }

    /** The latest decision, if any (what a host that restarts must re-apply). */
    Optional<Decision> lastDecision();

    /**
     * The complete mutable state (step counter, masks, window buffers, EMAs, countdowns) as bytes. A policy
     * created with the same name, parameters and layout and given these bytes via {@link #restoreState} continues
     * exactly as this one would.
     */
    byte[] snapshotState();

    /**
     * Replaces the mutable state with a snapshot taken from a policy of the same name, parameters and layout.
     *
     * @throws IllegalArgumentException if the bytes are not such a snapshot (wrong policy, layout size or format)
     */
    void restoreState(byte[] state);
}
