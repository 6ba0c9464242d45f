package io.salientstream.core.lora;

import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.Inputs;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.policy.StateCodec;
import io.salientstream.core.policy.StepInput;
import java.util.Optional;

/**
 * Plain LoRA with a fixed rank per matrix: the baseline. It never prunes, so {@link #onStep} never returns a
 * decision and the budget is always N = Σ r_k. It only tracks the step counter (so hosts can treat all policies
 * alike, including step-order checks and checkpoints).
 */
public final class FixedRankLora implements RankPolicy {
    public static final String NAME = "lora";

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

    record State(String policy, int n, long lastStep) {
    }

    @Override
    public byte[] snapshotState() {
        return StateCodec.encode(new State(NAME, layout.totalRank(), lastStep));
    }

    @Override
    public void restoreState(byte[] bytes) {
        State s = StateCodec.decode(bytes, State.class, NAME);
        if (!NAME.equals(s.policy()) || s.n() != layout.totalRank()) {
            throw new IllegalArgumentException(NAME + ": snapshot is for policy '" + s.policy() + "' with N=" + s.n()
                    + ", this policy has N=" + layout.totalRank());
        }
        lastStep = s.lastStep();
    }
}
