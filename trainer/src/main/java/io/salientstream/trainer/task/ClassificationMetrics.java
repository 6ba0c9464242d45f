package io.salientstream.trainer.task;

/**
 * Accuracy and macro-F1 (mean F1 over the classes that occur in the gold labels or the
 * predictions).
 */
public final class ClassificationMetrics {

  private ClassificationMetrics() {}

  public static double accuracy(int[] gold, int[] pred) {
    int ok = 0;
    for (int i = 0; i < gold.length; i++) {
      ok += gold[i] == pred[i] ? 1 : 0;
    }
    return gold.length == 0 ? 0 : (double) ok / gold.length;
  }

  public static double macroF1(int[] gold, int[] pred, int classes) {
    long[] tp = new long[classes];
    long[] fp = new long[classes];
    long[] fn = new long[classes];
    for (int i = 0; i < gold.length; i++) {
      if (gold[i] == pred[i]) {
        tp[gold[i]]++;
      } else {
        fp[pred[i]]++;
        fn[gold[i]]++;
      }
    }
    double sum = 0;
    int n = 0;
    for (int c = 0; c < classes; c++) {
      if (tp[c] + fp[c] + fn[c] == 0) {
        continue;
      }
      sum += 2.0 * tp[c] / (2.0 * tp[c] + fp[c] + fn[c]);
      n++;
    }
    return n == 0 ? 0 : sum / n;
  }
}
