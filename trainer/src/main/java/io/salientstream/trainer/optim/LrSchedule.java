package io.salientstream.trainer.optim;

/**
 * Linear warm-up from 0 to the peak over {@code warmup} steps, then linear decay to 0 at {@code
 * total} steps.
 */
public record LrSchedule(double peak, int warmup, int total) {

  public double at(long step) {
    if (warmup > 0 && step < warmup) {
      return peak * (step + 1) / warmup;
    }
    double span = Math.max(1, total - warmup);
    return peak * Math.max(0.0, (total - step) / span);
  }
}
