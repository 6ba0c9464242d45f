package io.salientstream.core.adalora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.policy.StepInput;
import io.salientstream.core.schedule.CubicBudgetSchedule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AdaLoraTest {
  static final AdapterLayout LAYOUT = AdapterLayout.uniform(6, 2, 5, 4, 12); // N = 72

  static Map<String, String> params() {
    return Map.of(
        "totalSteps", "1000", "tInit", "100", "tFinal", "300", "deltaT", "10", "targetRank", "2");
  }

  @Test
  void cubicScheduleFollowsPeft() {
    CubicBudgetSchedule s = new CubicBudgetSchedule(1000, 100, 300, 10, 72, 12);
    assertThat(s.budgetAt(0)).isEqualTo(72);
    assertThat(s.budgetAt(100)).isEqualTo(72);
    // t = 400: 1 − 300/600 = 0.5 → (72−12)·0.125 + 12 = 19.5 → 19
    assertThat(s.budgetAt(400)).isEqualTo(19);
    assertThat(s.budgetAt(101)).isEqualTo((int) (60 * Math.pow(1 - 1.0 / 600, 3) + 12));
    assertThat(s.budgetAt(700)).isEqualTo(12);
    assertThat(s.budgetAt(999)).isEqualTo(12);
    assertThat(s.isMaskStep(100)).isFalse();
    assertThat(s.isMaskStep(110)).isTrue();
    assertThat(s.isMaskStep(111)).isFalse();
    assertThat(s.isMaskStep(700)).isTrue();
    assertThat(s.isMaskStep(710)).isFalse();
  }

  @Test
  void masksEveryDeltaTAndForcesTheFinalMaskAtTheTarget() {
    RankPolicy p = Policies.create("adalora", params(), LAYOUT);
    SplittableRandom rnd = new SplittableRandom(3);
    List<Decision> ds = new ArrayList<>();
    for (long t = 0; t < 1000; t++) {
      double[] scores = new double[72];
      for (int i = 0; i < 72; i++) scores[i] = rnd.nextDouble();
      Optional<Decision> d = p.onStep(StepInput.adaLora(t, scores));
      d.ifPresent(ds::add);
    }
    assertThat(ds).hasSize(60); // 110, 120, …, 700
    for (Decision d : ds) {
      assertThat(d.decidedAt() % 10).isZero();
      assertThat(d.effectiveFrom()).isEqualTo(d.decidedAt());
      assertThat(d.mask().keptCount()).isEqualTo(d.budget());
      assertThat(d.persistent()).isEqualTo(d.decidedAt() == 700);
    }
    Decision last = ds.get(ds.size() - 1);
    assertThat(last.decidedAt()).isEqualTo(700);
    assertThat(last.budget()).isEqualTo(12);
    // keep iff score > threshold: the 12 largest scores
    double thr = last.diagnostics().threshold();
    boolean[] keep = ((MaskUpdate.TripletMask) last.mask()).keep();
    for (int i = 0; i < 72; i++)
      assertThat(keep[i]).isEqualTo(last.diagnostics().scores()[i] > thr);
  }

  @Test
  void scoresAreNeededOnlyAtMaskSteps() {
    AdaLoraPolicy p = (AdaLoraPolicy) Policies.create("adalora", params(), LAYOUT);
    assertThat(p.onStep(StepInput.bare(105))).isEmpty();
    assertThat(p.isMaskStep(110)).isTrue();
    assertThatThrownBy(() -> p.onStep(StepInput.bare(110)))
        .hasMessageContaining("tripletScores is required");
  }

  @Test
  void importanceEmasFollowEquations9To13() {
    AdapterLayout one = new AdapterLayout(List.of(new AdapterLayout.Matrix("m", 0, 2, 3, 1)));
    AdaLoraImportance imp = new AdaLoraImportance(one, 0.85, 0.85);
    imp.update(
        0, new double[] {1, 2}, new double[] {4}, new double[] {-1, 0, 3}); // P: 2x1, Λ: 1, Q: 1x3
    imp.update(0, new double[] {1, 2}, new double[] {2}, new double[] {1, 0, 3});
    // λ: Ī1 = .15·4 = .6, Ū1 = .15·|4−.6| = .51; Ī2 = .85·.6 + .15·2 = .81, Ū2 = .85·.51 +
    // .15·|2−.81| = .6120
    double sLambda = 0.81 * (0.85 * 0.51 + 0.15 * Math.abs(2 - 0.81));
    // an entry with constant I = v: Ī1 = .15v, Ū1 = .15·.85v; Ī2 = .2775v, Ū2 = .85·.1275v +
    // .15·.7225v
    double c = 0.2775 * (0.85 * 0.1275 + 0.15 * 0.7225);
    double meanQ = c * (1 + 0 + 9) / 3; // entry score scales with v²
    double meanP = c * (1 + 4) / 2;
    assertThat(imp.tripletScores()[0]).isCloseTo(sLambda + meanQ + meanP, within(1e-12));
    byte[] snap = imp.snapshotState();
    AdaLoraImportance copy = new AdaLoraImportance(one, 0.85, 0.85);
    copy.restoreState(snap);
    assertThat(copy.tripletScores()).isEqualTo(imp.tripletScores());
    imp.reset();
    assertThat(imp.tripletScores()).containsOnly(0.0);
    assertThatThrownBy(
            () -> imp.update(0, new double[] {1}, new double[] {1}, new double[] {1, 2, 3}))
        .hasMessageContaining("P has 1 entries, expected 2");
  }

  @Test
  void stateRoundTrip() {
    RankPolicy a = Policies.create("adalora", params(), LAYOUT);
    double[] s = new double[72];
    for (int i = 0; i < 72; i++) s[i] = (i * 37 % 72) / 72.0;
    a.onStep(StepInput.adaLora(110, s));
    RankPolicy b = Policies.create("adalora", params(), LAYOUT);
    b.restoreState(a.snapshotState());
    assertThat(((MaskUpdate.TripletMask) b.lastDecision().orElseThrow().mask()).keep())
        .isEqualTo(((MaskUpdate.TripletMask) a.lastDecision().orElseThrow().mask()).keep());
    assertThatThrownBy(() -> b.onStep(StepInput.adaLora(110, s))).hasMessageContaining("not after");
    assertThat(b.onStep(StepInput.adaLora(120, s)).orElseThrow().mask().keptCount())
        .isEqualTo(a.onStep(StepInput.adaLora(120, s)).orElseThrow().mask().keptCount());
  }

  @Test
  void snapshotsRestoreExactly() {
    AdaLoraPolicy a = (AdaLoraPolicy) Policies.create("adalora", params(), LAYOUT);
    byte[] fresh = a.snapshotState();
    SplittableRandom rnd = new SplittableRandom(11);
    for (long t = 0; t <= 250; t++) {
      double[] scores = new double[72];
      for (int i = 0; i < 72; i++) scores[i] = rnd.nextDouble() - 0.5;
      a.onStep(StepInput.adaLora(t, scores));
    }
    byte[] binary = a.snapshotState();
    for (byte[] snap : List.of(binary)) {
      RankPolicy b = Policies.create("adalora", params(), LAYOUT);
      b.restoreState(snap);
      assertThat(b.snapshotState())
          .as("restored state re-encodes to the same bytes")
          .isEqualTo(binary);
      Decision da = a.lastDecision().orElseThrow();
      Decision db = b.lastDecision().orElseThrow();
      assertThat(db.decidedAt()).isEqualTo(250);
      assertThat(db.budget()).isEqualTo(da.budget());
      assertThat(db.persistent()).isEqualTo(da.persistent());
      assertThat(db.diagnostics().scores()).isEqualTo(da.diagnostics().scores());
      assertThat(db.diagnostics().threshold()).isEqualTo(da.diagnostics().threshold());
    }
    RankPolicy c = Policies.create("adalora", params(), LAYOUT);
    c.restoreState(fresh);
    assertThat(c.lastDecision()).isEmpty();
    assertThat(c.snapshotState()).isEqualTo(fresh);
  }

  @Test
  void corruptOrForeignSnapshotsAreRefused() {
    RankPolicy a = Policies.create("adalora", params(), LAYOUT);
    double[] s = new double[72];
    Arrays.fill(s, 1.0);
    a.onStep(StepInput.adaLora(110, s));
    byte[] snap = a.snapshotState();
    RankPolicy b = Policies.create("adalora", params(), LAYOUT);
    assertThatThrownBy(() -> b.restoreState(Arrays.copyOf(snap, snap.length - 3)))
        .hasMessageContaining("truncated or corrupt");
    assertThatThrownBy(() -> b.restoreState(Arrays.copyOf(snap, snap.length + 2)))
        .hasMessageContaining("2 unexpected bytes");
    assertThatThrownBy(() -> b.restoreState(new byte[] {1, 2, 3, 4, 5}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("policy snapshot")
        .hasMessageContaining("no ")
        .hasMessageContaining(" tag");
    byte[] newer = snap.clone();
    newer[3] = 2; // the layout version byte
    assertThatThrownBy(() -> b.restoreState(newer))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("layout version 2")
        .hasMessageContaining("reads version 1");
    RankPolicy other =
        Policies.create("adalora", params(), AdapterLayout.uniform(6, 2, 5, 4, 10)); // N = 60
    assertThatThrownBy(() -> other.restoreState(snap)).hasMessageContaining("N=72");
  }
}
