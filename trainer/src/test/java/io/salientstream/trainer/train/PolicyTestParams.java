package io.salientstream.trainer.train;

import java.util.LinkedHashMap;
import java.util.Map;

/** Policy parameters for tiny test runs (schedules squeezed into a few dozen steps). */
final class PolicyTestParams {

  private PolicyTestParams() {}

  static Map<String, String> forTinyRun(String policy, int steps, int matrices) {
    Map<String, String> p = new LinkedHashMap<>();
    switch (policy) {
      case "salientlora" -> {
        p.put("totalSteps", Integer.toString(steps));
        p.put("initialWarmup", "3");
        p.put("finalSteps", "5");
        p.put("targetRank", "2");
        p.put("threads", "1");
      }
      case "adalora" -> {
        p.put("totalSteps", Integer.toString(steps));
        p.put("tInit", "3");
        p.put("tFinal", "10");
        p.put("deltaT", "4");
        p.put("targetRank", "2");
      }
      case "prilora" -> {
        p.put("rLow", "2");
        p.put("rHigh", "6");
        p.put("pruneInterval", "7");
        p.put("pruneStart", "5");
        p.put("regrowth", "true");
      }
      default -> {}
    }
    return p;
  }
}
