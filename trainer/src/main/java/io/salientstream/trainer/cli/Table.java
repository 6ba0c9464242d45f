package io.salientstream.trainer.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Plain-text summaries of run reports. */
final class Table {

  private Table() {}

  @SuppressWarnings("unchecked")
  static String summary(Map<String, Object> r) {
    Map<String, Double> m = (Map<String, Double>) r.get("metrics");
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "policy %s  task %s  steps %s  final total rank %s  trainable params %s%n",
            r.get("policy"),
            r.get("task"),
            r.get("steps"),
            r.get("finalTotalRank"),
            r.get("trainableParameters")));
    m.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %-18s %.4f%n", k, v)));
    sb.append(
        String.format(
            Locale.ROOT,
            "  %-18s %.3f%n  %-18s %.3f ms%n",
            "steps/s",
            (Double) r.get("stepsPerSecond"),
            "allocation/step",
            (Double) r.get("allocationOverheadMsPerStep")));
    return sb.toString();
  }

  @SuppressWarnings("unchecked")
  static String compare(List<Map<String, Object>> rows) {
    boolean rank = "rank-recovery".equals(rows.get(0).get("task"));
    StringBuilder sb = new StringBuilder();
    if (rank) {
      sb.append(
          "| policy | final total rank | Spearman | exact match | mean abs error | eval MSE | steps/s | alloc ms/step |\n");
      sb.append("|---|---|---|---|---|---|---|---|\n");
    } else {
      sb.append(
          "| policy | trainable params | accuracy | macro-F1 | train time (s) | steps/s | alloc ms/step |\n");
      sb.append("|---|---|---|---|---|---|---|\n");
    }
    for (Map<String, Object> r : rows) {
      Map<String, Double> m = (Map<String, Double>) r.get("metrics");
      if (rank) {
        sb.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %.3f | %.3f | %.3f | %.5f | %.2f | %.3f |%n",
                r.get("policy"),
                r.get("finalTotalRank"),
                m.get("rankSpearman"),
                m.get("rankExactMatch"),
                m.get("rankMeanAbsError"),
                m.get("evalMse"),
                (Double) r.get("stepsPerSecond"),
                (Double) r.get("allocationOverheadMsPerStep")));
      } else {
        sb.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %.4f | %.4f | %.0f | %.3f | %.3f |%n",
                r.get("policy"),
                r.get("trainableParameters"),
                m.get("accuracy"),
                m.get("macroF1"),
                (Double) r.get("trainSeconds"),
                (Double) r.get("stepsPerSecond"),
                (Double) r.get("allocationOverheadMsPerStep")));
      }
    }
    return sb.toString();
  }
}
