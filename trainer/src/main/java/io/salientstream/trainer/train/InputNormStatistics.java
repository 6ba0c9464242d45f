package io.salientstream.trainer.train;

import io.salientstream.core.policy.BinaryState;
import io.salientstream.trainer.adapter.AdaptedLinear;
import io.salientstream.trainer.host.TrainerStep.InputStats;
import java.util.ArrayList;
import java.util.List;

/**
 * PRILoRA's input statistic (spec §4 item 2): a forward hook on every adapted layer gives the ℓ2
 * norm of each input feature over all tokens of the training batch; after the step's masks, an
 * exponential moving average with factor β folds it in. The events of the steps where the policy
 * reads it carry, per B·A adapter, |A| and the average.
 */
final class InputNormStatistics implements StepStatistics {

  /** The checkpoint layout (type {@code INE}, version 1): the averages of every adapted layer. */
  static final BinaryState.Format FORMAT =
      new BinaryState.Format("INE", 1, "trainer input-norm averages");

  private final List<AdaptedLinear> adapters;
  private final double beta;
  private final double[][] ema;
  private final float[][] lastNorms;

  InputNormStatistics(List<AdaptedLinear> adapters, double beta) {
    this.adapters = adapters;
    this.beta = beta;
    this.ema = new double[adapters.size()][];
    this.lastNorms = new float[adapters.size()][];
    for (int k = 0; k < adapters.size(); k++) {
      int kk = k;
      ema[k] = new double[adapters.get(k).dIn()];
      adapters.get(k).setInputStatsHook(norms -> lastNorms[kk] = norms);
    }
  }

  @Override
  public void afterMasks(long step) {
    for (int k = 0; k < adapters.size(); k++) {
      float[] x = lastNorms[k];
      if (x != null) {
        for (int j = 0; j < x.length; j++) {
          ema[k][j] = beta * ema[k][j] + (1 - beta) * x[j];
        }
      }
    }
  }

  @Override
  public List<InputStats> inputStats(long step) {
    List<InputStats> stats = new ArrayList<>();
    for (int k = 0; k < adapters.size(); k++) {
      double[] absA = adapters.get(k).entryMagnitudes();
      if (absA != null) {
        stats.add(new InputStats(absA, ema[k].clone()));
      }
    }
    return stats;
  }

  @Override
  public String checkpointKey() {
    return "inputNormEma";
  }

  @Override
  public byte[] snapshot() {
    int size = 16;
    for (double[] e : ema) {
      size += 4 + 8 * e.length;
    }
    BinaryState.Writer w = FORMAT.writer(size).putInt(ema.length);
    for (double[] e : ema) {
      w.putDoubles(e);
    }
    return w.toBytes();
  }

  @Override
  public void restore(byte[] state) {
    BinaryState.Reader r = FORMAT.reader(state);
    if (r.getInt() != ema.length) {
      throw new IllegalArgumentException(FORMAT.what() + ": for another number of adapted layers");
    }
    double[][] read = new double[ema.length][];
    for (int k = 0; k < ema.length; k++) {
      read[k] = r.getDoubles();
      if (read[k] == null || read[k].length != ema[k].length) {
        throw new IllegalArgumentException(
            FORMAT.what() + ": layer " + k + " has another input width");
      }
    }
    r.requireEnd();
    for (int k = 0; k < ema.length; k++) {
      System.arraycopy(read[k], 0, ema[k], 0, read[k].length);
    }
  }
}
