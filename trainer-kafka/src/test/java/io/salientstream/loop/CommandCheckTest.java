package io.salientstream.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.BudgetSchedule;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixMask;
import io.salientstream.avro.Provenance;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.schemas.PolicySpecs;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The trainer's checks of commands that carry its own run id and epoch (copied off its events by a
 * forger): each forged command is refused with a reason; the real ones around them are accepted.
 */
class CommandCheckTest {

  static final int MATRICES = 2;
  static final int RANK = 4;

  static ExperimentSpec spec() {
    List<AdaptedMatrix> ms = new ArrayList<>();
    for (int k = 0; k < MATRICES; k++) {
      ms.add(new AdaptedMatrix("layer.0.m" + k, 0, 8, 8, RANK));
    }
    return ExperimentSpec.newBuilder()
        .setExperimentId("victim")
        .setCreatedAtMs(Instant.ofEpochMilli(1))
        .setModel("synthetic")
        .setMatrices(ms)
        .setPolicy("salientlora")
        .setSchedule(new BudgetSchedule(200L, 10L, 40L, MATRICES * RANK, 4))
        .build();
  }

  static RankPruneCommand command(long seq, long decidedAt, long applyAt, boolean[] keep) {
    List<MatrixMask> masks = new ArrayList<>();
    for (int k = 0; k < MATRICES; k++) {
      List<Boolean> bits = new ArrayList<>();
      for (int i = 0; i < RANK; i++) {
        bits.add(keep[k * RANK + i]);
      }
      masks.add(new MatrixMask("layer.0.m" + k, 0, bits, null));
    }
    return RankPruneCommand.newBuilder()
        .setCommandId("victim/1/" + seq)
        .setSequence(seq)
        .setExperimentId("victim")
        .setTargetRunId("run")
        .setTargetEpoch(1)
        .setApplyAtStep(applyAt)
        .setDecidedAtStep(decidedAt)
        .setMasks(masks)
        .setTotalRank(0)
        .setProvenance(new Provenance("salientlora", Map.of(), 0L, decidedAt, 0.1, "test"))
        .setCreatedAtMs(Instant.EPOCH)
        .build();
  }

  /** The first {@code kept} units kept. */
  static boolean[] keepFirst(int kept) {
    boolean[] k = new boolean[MATRICES * RANK];
    for (int i = 0; i < kept; i++) {
      k[i] = true;
    }
    return k;
  }

  @Test
  void forgedCommandsAreRefusedAndRealOnesAccepted() {
    ExperimentSpec spec = spec();
    RankPolicy policy = PolicySpecs.create(spec);
    List<Long> decisions = new ArrayList<>();
    for (long s = 0; s < 200 && decisions.size() < 2; s++) {
      if (policy.decidesAt(s)) {
        decisions.add(s);
      }
    }
    long d1 = decisions.get(0);
    long d2 = decisions.get(1);
    int b1 = policy.budgetAt(d1);
    int b2 = policy.budgetAt(d2);
    assertThat(b2).isLessThanOrEqualTo(b1);
    CommandCheck check = new CommandCheck(spec, policy::decidesAt);

    // a step where the policy does not decide (issue 15: a forged command at step 661)
    assertThat(check.refusal(command(1, d1 + 2, d1 + 3, keepFirst(1)), d1 + 5))
        .hasValueSatisfying(r -> assertThat(r).contains("not a decision step"));
    // a decision this run has not reached
    assertThat(check.refusal(command(1, d1, d1 + 1, keepFirst(b1)), d1 - 1))
        .hasValueSatisfying(r -> assertThat(r).contains("only reached step " + (d1 - 1)));
    // applied far from its decision
    assertThat(check.refusal(command(1, d1, d1 + 50, keepFirst(b1)), d1))
        .hasValueSatisfying(r -> assertThat(r).contains("applies at step " + (d1 + 50)));
    // more kept than the budget
    assertThat(check.refusal(command(1, d1, d1 + 1, keepFirst(b1 + 1)), d1))
        .hasValueSatisfying(r -> assertThat(r).contains("above the budget " + b1));
    // a mask of the wrong size
    RankPruneCommand shortMask = command(1, d1, d1 + 1, keepFirst(b1));
    shortMask.getMasks().get(1).setKeep(List.of(true));
    assertThat(check.refusal(shortMask, d1))
        .hasValueSatisfying(r -> assertThat(r).contains("mask of 1 bits for rank " + RANK));
    // the real one
    RankPruneCommand real1 = command(1, d1, d1 + 1, keepFirst(b1));
    assertThat(check.refusal(real1, d1)).isEmpty();
    check.applied(real1);

    // the same decision again, and a revival of a unit pruned at d1 (SalientLoRA never revives)
    assertThat(check.refusal(command(2, d1, d1 + 1, keepFirst(b1)), d2))
        .hasValueSatisfying(r -> assertThat(r).contains("already applied"));
    boolean[] revive = keepFirst(b2);
    revive[b2 - 1] = false;
    revive[MATRICES * RANK - 1] = true; // pruned at d1 (b1 < 8)
    assertThat(b1).isLessThan(MATRICES * RANK);
    assertThat(check.refusal(command(2, d2, d2 + 1, revive), d2))
        .hasValueSatisfying(r -> assertThat(r).contains("never revives"));
    // none of the refusals moved anything: the real second command is accepted
    assertThat(check.refusal(command(2, d2, d2 + 1, keepFirst(b2)), d2)).isEmpty();
  }
}
