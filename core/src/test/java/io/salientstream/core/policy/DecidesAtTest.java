package io.salientstream.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link RankPolicy#decidesAt} predicts exactly the steps at which {@link RankPolicy#onStep} decides. */
class DecidesAtTest {

  @ParameterizedTest
  @ValueSource(strings = {"salientlora:reference", "salientlora:clean", "adalora", "lora", "prilora"})
  void decidesAtMatchesOnStep(String which) {
    String name = which.split(":")[0];
    AdapterLayout layout = AdapterLayout.uniform(6, 2, 8, 8, 4);
    Map<String, String> params = switch (which) {
      case "salientlora:reference" -> Map.of("mode", "reference", "totalSteps", "160", "initialWarmup", "10", "finalSteps", "20", "targetBudget", "8");
      case "salientlora:clean" -> Map.of("mode", "clean", "totalSteps", "160", "initialWarmup", "10", "finalSteps", "20", "targetBudget", "8", "tFinal", "40");
      case "adalora" -> Map.of("totalSteps", "160", "tInit", "10", "tFinal", "20", "targetBudget", "8", "deltaT", "3");
      case "prilora" -> Map.of("pruneInterval", "7");
      default -> Map.of();
    };
    RankPolicy policy = Policies.create(name, params, layout);
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
      if (policy.onStep(new StepInput(s, 0.5 + 0.1 * rnd.nextDouble(), sv.clone(), scores, pri)).isPresent()) {
        decided.add(s);
      }
    }
    assertThat(predicted).isEqualTo(decided);
    if (!name.equals("lora")) {
      assertThat(decided).isNotEmpty();
    }
  }
}
