package io.salientstream.core.salient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.policy.StepInput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SalientLoraPolicyTest {
  static final AdapterLayout LAYOUT = AdapterLayout.uniform(12, 6, 32, 32, 6); // N = 72

  static Map<String, String> params(String mode) {
    Map<String, String> p = new HashMap<>();
    p.put("mode", mode);
    p.put("totalSteps", "700");
    p.put("initialWarmup", "50");
    p.put("finalSteps", "150");
    p.put("targetRank", "2");
    p.put("tFinal", "60");
    p.put("threads", "2");
    return p;
  }

  /** Feeds steps [from, to) and returns the decisions. */
  static List<Decision> run(RankPolicy policy, TrainingSimulation sim, long from, long to) {
    List<Decision> out = new ArrayList<>();
    for (long s = from; s < to; s++) {
      Optional<Decision> d = policy.onStep(StepInput.salient(s, sim.reg(s), sim.lambdas(s)));
      d.ifPresent(out::add);
    }
    return out;
  }

  @Test
  void cleanModeEndsTheAllocationPhaseAtExactlyTheTargetBudget() {
    RankPolicy p = Policies.create("salientlora", params("clean"), LAYOUT);
    List<Decision> ds = run(p, new TrainingSimulation(72, 700, 1), 0, 700);
    Decision last = ds.get(ds.size() - 1);
    assertThat(last.decidedAt()).isEqualTo(550);
    assertThat(last.effectiveFrom()).isEqualTo(551);
    assertThat(last.budget()).isEqualTo(24);
    assertThat(last.mask().keptCount()).isEqualTo(24);
    for (Decision d : ds) {
      assertThat(d.mask().keptCount()).isEqualTo(d.budget());
      assertThat(d.persistent()).isTrue();
      assertThat(d.effectiveFrom()).isEqualTo(d.decidedAt() + 1);
    }
  }

  @Test
  void referenceModeStopsAboveTheTarget() {
    Map<String, String> params = params("reference");
    params.remove(
        "tFinal"); // the reference's 200: windows grow too slowly to reach bT in 500 steps
    AdapterLayout big = AdapterLayout.uniform(24, 6, 32, 32, 15); // N = 360, bT = 48
    RankPolicy p = Policies.create("salientlora", params, big);
    List<Decision> ds = run(p, new TrainingSimulation(360, 700, 1), 0, 700);
    Decision last = ds.get(ds.size() - 1);
    assertThat(last.decidedAt()).isEqualTo(487);
    assertThat(last.budget()).isEqualTo(51); // trunc(360 − (198/200)·312) > 48
    // Reference quirk: a matrix pruned completely earlier scores NaN (0/0), NaN sorts as the
    // largest, and the
    // threshold therefore prunes r0 = 15 live entries too many per dead matrix.
    boolean[] before = ((MaskUpdate.TripletMask) ds.get(ds.size() - 2).mask()).keep();
    int dead = 0;
    for (int k = 0; k < 24; k++) {
      boolean any = false;
      for (int i = 0; i < 15; i++) any |= before[k * 15 + i];
      if (!any) dead++;
    }
    assertThat(dead).isPositive();
    assertThat(last.mask().keptCount()).isEqualTo(last.budget() - 15 * dead);
  }

  @Test
  void masksNeverUnpruneAndPrunedSeriesAreZeroInTheNextWindow() {
    SalientLoraPolicy p =
        (SalientLoraPolicy) Policies.create("salientlora", params("reference"), LAYOUT);
    List<Decision> ds = run(p, new TrainingSimulation(72, 700, 2), 0, 700);
    assertThat(ds.size()).isGreaterThan(5);
    boolean[] prev = null;
    for (Decision d : ds) {
      boolean[] keep = ((MaskUpdate.TripletMask) d.mask()).keep();
      if (prev != null) {
        for (int i = 0; i < keep.length; i++) {
          if (!prev[i]) {
            assertThat(keep[i]).as("un-pruned %d at %d", i, d.decidedAt()).isFalse();
            assertThat(d.diagnostics().magnitude()[i]).isZero(); // recorded as exact zeros
          }
        }
      }
      prev = keep;
    }
  }

  @Test
  void newMaskTakesEffectOneStepLater() {
    SalientLoraPolicy p =
        (SalientLoraPolicy) Policies.create("salientlora", params("clean"), LAYOUT);
    TrainingSimulation sim = new TrainingSimulation(72, 700, 3);
    List<Decision> first = run(p, sim, 0, 61); // first window: 51..60
    assertThat(first).hasSize(1);
    assertThat(first.get(0).decidedAt()).isEqualTo(60);
    assertThat(p.maskInForce()).containsOnly(true); // still the old mask at step 60
    run(p, sim, 61, 62);
    assertThat(p.maskInForce()).isEqualTo(((MaskUpdate.TripletMask) first.get(0).mask()).keep());
  }

  @Test
  void restoredPolicyContinuesIdentically() {
    for (String mode : List.of("reference", "clean")) {
      TrainingSimulation sim = new TrainingSimulation(72, 700, 4);
      RankPolicy a = Policies.create("salientlora", params(mode), LAYOUT);
      run(a, sim, 0, 137); // mid-window, with a pending mask at some point
      byte[] snap = a.snapshotState();
      RankPolicy b = Policies.create("salientlora", params(mode), LAYOUT);
      b.restoreState(snap);
      assertThat(b.lastDecision().map(Decision::decidedAt))
          .isEqualTo(a.lastDecision().map(Decision::decidedAt));
      List<Decision> da = run(a, sim, 137, 700);
      List<Decision> db = run(b, sim, 137, 700);
      assertThat(db).hasSameSizeAs(da);
      for (int i = 0; i < da.size(); i++) {
        assertThat(db.get(i).decidedAt()).isEqualTo(da.get(i).decidedAt());
        assertThat(((MaskUpdate.TripletMask) db.get(i).mask()).keep())
            .isEqualTo(((MaskUpdate.TripletMask) da.get(i).mask()).keep());
        assertThat(db.get(i).diagnostics().scores()).isEqualTo(da.get(i).diagnostics().scores());
      }
      assertThat(b.snapshotState()).isEqualTo(a.snapshotState());
    }
  }

  @Test
  void corruptSnapshotsAreRefusedWithTheirCause() {
    RankPolicy a = Policies.create("salientlora", params("clean"), LAYOUT);
    run(a, new TrainingSimulation(72, 700, 6), 0, 137);
    byte[] snap = a.snapshotState();
    RankPolicy b = Policies.create("salientlora", params("clean"), LAYOUT);
    assertThatThrownBy(() -> b.restoreState(Arrays.copyOf(snap, snap.length - 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> b.restoreState(Arrays.copyOf(snap, snap.length + 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unexpected bytes");
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
  }

  @Test
  void badInputsAreNamed() {
    RankPolicy p = Policies.create("salientlora", params("clean"), LAYOUT);
    p.onStep(StepInput.salient(0, 1.0, null)); // warm-up: values not needed
    assertThatThrownBy(() -> p.onStep(StepInput.salient(2, 1.0, new double[72])))
        .hasMessageContaining("consecutive");
    run(p, new TrainingSimulation(72, 700, 1), 1, 51);
    assertThatThrownBy(() -> p.onStep(StepInput.salient(51, 1.0, new double[71])))
        .hasMessageContaining("singularValues has 71");
    double[] bad = new double[72];
    bad[5] = Double.NaN;
    assertThatThrownBy(() -> p.onStep(StepInput.salient(51, 1.0, bad)))
        .hasMessageContaining("singularValues[5]");
    assertThatThrownBy(() -> p.onStep(StepInput.salient(51, Double.NaN, new double[72])))
        .hasMessageContaining("orthRegLoss");
  }

  @Test
  void badParametersAreNamed() {
    Map<String, String> p = params("clean");
    p.remove("totalSteps");
    assertThatThrownBy(() -> Policies.create("salientlora", p, LAYOUT))
        .hasMessageContaining("'totalSteps' is required");
    Map<String, String> q = params("reference");
    q.put("lambda", "0.7");
    assertThatThrownBy(() -> Policies.create("salientlora", q, LAYOUT))
        .hasMessageContaining("'lambda'");
    Map<String, String> r = params("clean");
    r.put("beta", "high");
    assertThatThrownBy(() -> Policies.create("salientlora", r, LAYOUT))
        .hasMessageContaining("'beta' must be a number");
    Map<String, String> s = params("sideways");
    assertThatThrownBy(() -> Policies.create("salientlora", s, LAYOUT))
        .hasMessageContaining("'mode'");
  }
}
