package io.salientstream.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.core.policy.RankPolicy.Input;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link RankPolicy#decidesAt} predicts exactly the steps at which {@link RankPolicy#onStep}
 * decides; {@link RankPolicy#inputsAt} names every input a step reads (a twin fed only those
 * decides the same); {@link RankPolicy#maskKind}, {@link RankPolicy#maskWidths} and {@link
 * RankPolicy#mayRevive} describe the decisions.
 */
class DecidesAtTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "salientlora:reference",
        "salientlora:clean",
        "adalora",
        "lora",
        "prilora",
        "prilora:permanent"
      })
  void decidesAtMatchesOnStep(String which) {
    String name = which.split(":")[0];
    AdapterLayout layout = AdapterLayout.uniform(6, 2, 8, 8, 4);
    Map<String, String> params =
        switch (which) {
          case "salientlora:reference" ->
              Map.of(
                  "mode",
                  "reference",
                  "totalSteps",
                  "160",
                  "initialWarmup",
                  "10",
                  "finalSteps",
                  "20",
                  "targetBudget",
                  "8");
          case "salientlora:clean" ->
              Map.of(
                  "mode",
                  "clean",
                  "totalSteps",
                  "160",
                  "initialWarmup",
                  "10",
                  "finalSteps",
                  "20",
                  "targetBudget",
                  "8",
                  "tFinal",
                  "40");
          case "adalora" ->
              Map.of(
                  "totalSteps",
                  "160",
                  "tInit",
                  "10",
                  "tFinal",
                  "20",
                  "targetBudget",
                  "8",
                  "deltaT",
                  "3");
          case "prilora" -> Map.of("pruneInterval", "7");
          case "prilora:permanent" ->
              Map.of("pruneInterval", "7", "regrowth", "false", "pruneRatio", "0.05");
          default -> Map.of();
        };
    RankPolicy policy = Policies.create(name, params, layout);
    RankPolicy twin = Policies.create(name, params, layout); // fed only what inputsAt names
    boolean[] previous = null;
    int n = policy.layout().totalRank();
    Random rnd = new Random(3);
    List<Long> predicted = new ArrayList<>();
    List<Long> decided = new ArrayList<>();
    double[] sv = new double[n];
    for (int i = 0; i < n; i++) {
      sv[i] = 0.01 * (i + 1);
    }
    for (long s = 0; s < 160; s++) {
      for (int i = 0; i < n; i++) {
        sv[i] += 1e-4 * rnd.nextGaussian();
      }
      double[] scores = new double[n];
      for (int i = 0; i < n; i++) {
        scores[i] = rnd.nextDouble();
      }
      List<StepInput.PriLoraMatrixInput> pri = new ArrayList<>();
      for (AdapterLayout.Matrix m : policy.layout().matrices()) {
        double[] a = new double[m.initialRank() * m.dIn()];
        double[] x = new double[m.dIn()];
        for (int i = 0; i < a.length; i++) {
          a[i] = rnd.nextDouble();
        }
        for (int i = 0; i < x.length; i++) {
          x[i] = rnd.nextDouble();
        }
        pri.add(new StepInput.PriLoraMatrixInput(a, x));
      }
      if (policy.decidesAt(s)) {
        predicted.add(s);
      }
      double r = 0.5 + 0.1 * rnd.nextDouble();
      Optional<Decision> d = policy.onStep(new StepInput(s, r, sv.clone(), scores, pri));
      Set<Input> at = twin.inputsAt(s);
      assertThat(twin.inputs()).containsAll(at);
      Optional<Decision> t =
          twin.onStep(
              new StepInput(
                  s,
                  at.contains(Input.ORTH_REG_LOSS) ? r : Double.NaN,
                  at.contains(Input.SINGULAR_VALUES) ? sv.clone() : null,
                  at.contains(Input.TRIPLET_SCORES) ? scores : null,
                  at.contains(Input.PRILORA) ? pri : null));
      assertThat(t.isPresent()).as("twin decides at step %d", s).isEqualTo(d.isPresent());
      if (d.isPresent()) {
        decided.add(s);
        boolean[] flat = flat(d.get().mask());
        assertThat(flat(t.get().mask())).isEqualTo(flat);
        assertThat(d.get().mask() instanceof MaskUpdate.EntryMask)
            .isEqualTo(policy.maskKind() == RankPolicy.MaskKind.ENTRY);
        assertThat(Arrays.stream(policy.maskWidths()).sum()).isEqualTo(flat.length);
        if (!policy.mayRevive()) {
          assertThat(d.get().persistent()).isTrue();
          for (int i = 0; previous != null && i < flat.length; i++) {
            assertThat(flat[i] && !previous[i]).as("unit %d revived at step %d", i, s).isFalse();
          }
        }
        previous = flat;
      }
    }
    assertThat(predicted).isEqualTo(decided);
    assertThat(policy.mayRevive()).isEqualTo(name.equals("adalora") || which.equals("prilora"));
    if (!name.equals("lora")) {
      assertThat(decided).isNotEmpty();
    }
  }

  private static boolean[] flat(MaskUpdate m) {
    if (m instanceof MaskUpdate.TripletMask t) {
      return t.keep();
    }
    List<boolean[]> parts = ((MaskUpdate.EntryMask) m).perMatrix();
    boolean[] out = new boolean[parts.stream().mapToInt(b -> b.length).sum()];
    int at = 0;
    for (boolean[] b : parts) {
      System.arraycopy(b, 0, out, at, b.length);
      at += b.length;
    }
    return out;
  }
}
