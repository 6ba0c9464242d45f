package io.salientstream.trainer.bench;

import io.salientstream.trainer.bench.PolicyBench.TaskModel;
import io.salientstream.trainer.model.BertEncoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The bench's PNG plots, drawn with XChart: learning curves and final rank patterns. */
public final class BenchPlots {

  static {
    System.setProperty("java.awt.headless", "true");
  }

  private BenchPlots() {}

  /**
   * A run's validation learning curve: (step, accuracy) of every periodic evaluation and of the
   * final one.
   */
  @SuppressWarnings("unchecked")
  static List<double[]> curve(Map<String, Object> report) {
    List<double[]> pts = new ArrayList<>();
    for (Map<String, Object> row : (List<Map<String, Object>>) report.get("evalHistory")) {
      pts.add(
          new double[] {
            ((Number) row.get("step")).doubleValue(), ((Number) row.get("accuracy")).doubleValue()
          });
    }
    Map<String, Object> fin = (Map<String, Object>) report.get("finalValidation");
    if (fin != null) {
      pts.add(
          new double[] {
            ((Number) report.get("steps")).doubleValue(),
            ((Number) fin.get("accuracy")).doubleValue()
          });
    }
    return pts;
  }

  /** Validation accuracy against step, mean over the seeds, one line per policy. */
  public static void curves(
      Path file, TaskModel tm, Map<String, List<Map<String, Object>>> byPolicy) throws IOException {
    XYChart chart =
        new XYChartBuilder()
            .width(800)
            .height(500)
            .title(
                tm.task()
                    + " / "
                    + tm.model().cliName()
                    + ": validation accuracy (mean over seeds)")
            .xAxisTitle("step")
            .yAxisTitle("validation accuracy %")
            .build();
    for (Map.Entry<String, List<Map<String, Object>>> e : byPolicy.entrySet()) {
      TreeMap<Double, double[]> sum = new TreeMap<>();
      for (Map<String, Object> r : e.getValue()) {
        for (double[] p : curve(r)) {
          double[] s = sum.computeIfAbsent(p[0], k -> new double[2]);
          s[0] += p[1];
          s[1]++;
        }
      }
      List<Double> x = new ArrayList<>(sum.keySet());
      List<Double> y = sum.values().stream().map(s -> 100 * s[0] / s[1]).toList();
      if (!x.isEmpty()) {
        chart.addSeries(e.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
      }
    }
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  /** Heatmap of the final rank per layer (rows) and matrix (columns). */
  public static void ranks(Path file, TaskModel tm, String policy, double[][] ranks)
      throws IOException {
    List<String> mods = new ArrayList<>();
    for (String m : BertEncoder.MODULES) {
      mods.add(shortName(m));
    }
    List<Integer> layers = new ArrayList<>();
    for (int l = 0; l < ranks.length; l++) {
      layers.add(l);
    }
    List<Number[]> heat = new ArrayList<>();
    for (int l = 0; l < ranks.length; l++) {
      for (int j = 0; j < mods.size(); j++) {
        heat.add(new Number[] {j, l, Math.round(ranks[l][j] * 10) / 10.0});
      }
    }
    HeatMapChart chart =
        new HeatMapChartBuilder()
            .width(640)
            .height(120 + 40 * ranks.length)
            .title(
                policy
                    + ", "
                    + tm.task()
                    + " / "
                    + tm.model().cliName()
                    + ": final rank (mean over seeds)")
            .xAxisTitle("matrix")
            .yAxisTitle("layer")
            .build();
    chart.getStyler().setShowValue(true);
    chart.getStyler().setMin(0);
    chart.addSeries("rank", mods, layers, heat);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static final Map<String, String> SHORT = new LinkedHashMap<>();

  static {
    SHORT.put("attention.self.query", "query");
    SHORT.put("attention.self.key", "key");
    SHORT.put("attention.self.value", "value");
    SHORT.put("attention.output.dense", "attn.out");
    SHORT.put("intermediate.dense", "ffn.in");
    SHORT.put("output.dense", "ffn.out");
  }

  static String shortName(String module) {
    return SHORT.getOrDefault(module, module);
  }
}
