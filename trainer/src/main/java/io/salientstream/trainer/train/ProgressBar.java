package io.salientstream.trainer.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line console progress bar on stderr: step, loss, steps/s, ETA and the current total rank.
 */
final class ProgressBar {

  private static final int WIDTH = 28;
  private final PrintStream out = System.err;
  private final long total;
  private final long startStep;
  private final long startNanos = System.nanoTime();
  private long lastDraw;

  ProgressBar(long total, long startStep) {
    this.total = total;
    this.startStep = startStep;
  }

  void update(long step, double loss, int totalRank) {
    long now = System.nanoTime();
    if (step < total && now - lastDraw < 250_000_000L) {
      return;
    }
    lastDraw = now;
    double secs = (now - startNanos) / 1e9;
    double rate = (step - startStep) / Math.max(secs, 1e-9);
    long eta = rate > 0 ? Math.round((total - step) / rate) : 0;
    int filled = (int) (WIDTH * step / Math.max(1, total));
    String bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
    out.print(
        String.format(
            Locale.ROOT,
            "\r[%s] %d/%d loss %.4f %.2f steps/s ETA %dm%02ds rank %d   ",
            bar,
            step,
            total,
            loss,
            rate,
            eta / 60,
            eta % 60,
            totalRank));
    out.flush();
  }

  void message(String text) {
    out.print("\r" + text + " ".repeat(20) + "\n");
    out.flush();
  }

  void finish() {
    out.println();
  }
}
