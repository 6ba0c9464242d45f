package io.salientstream.trainer.train;

import java.util.LinkedHashMap;
import java.util.Map;

/** Policy parameters for tiny test runs (schedules squeezed into a few dozen steps). */
final class PolicyTestParams {

  private PolicyTestParams() {}

  static Map<String, String> forTinyRun(String policy, int steps, int matrices) {
    Map<String, String> p = new LinkedHashMap<>();
    return p;
  }
}
