package io.salientstream.trainer.train;

import java.nio.file.Path;

/**
 * Optimisation settings of one run.
 *
 * @param steps optimizer steps
 * @param batch examples per step
 * @param lr peak learning rate (AdamW)
 * @param warmup linear warm-up steps of the learning rate
 * @param clip global gradient-norm clip (≤ 0: off)
 * @param orthCoef coefficient of the orthogonal regulariser R (spec §1)
 * @param weightDecay AdamW decoupled weight decay
 * @param evalEvery validation every K steps (≤ 0: only at the end)
 * @param seed seed of initialisation and data order
 * @param inputEmaBeta PRILoRA input-norm EMA factor
 * @param checkpointDir where checkpoints go (null: none)
 * @param checkpointEvery checkpoint every K steps (≤ 0: only at the end, when a directory is given)
 * @param resume continue from the checkpoint in {@code checkpointDir}
 * @param progress draw the progress bar on stderr
 */
public record TrainConfig(
    int steps,
    int batch,
    double lr,
    int warmup,
    double clip,
    double orthCoef,
    double weightDecay,
    int evalEvery,
    long seed,
    double inputEmaBeta,
    Path checkpointDir,
    int checkpointEvery,
    boolean resume,
    boolean progress) {

  public TrainConfig {
    if (steps <= 0) {
      throw new IllegalArgumentException("--steps must be > 0, got " + steps);
    }
    if (batch <= 0) {
      throw new IllegalArgumentException("--batch must be > 0, got " + batch);
    }
    if (!(lr > 0) || !Double.isFinite(lr)) {
      throw new IllegalArgumentException("--lr must be a positive number, got " + lr);
    }
    if (warmup < 0 || warmup >= steps) {
      throw new IllegalArgumentException("--warmup must be in [0, steps), got " + warmup);
    }
    if (orthCoef < 0) {
      throw new IllegalArgumentException("--orth-coef must be >= 0, got " + orthCoef);
    }
    if (!(inputEmaBeta >= 0 && inputEmaBeta < 1)) {
      throw new IllegalArgumentException("--input-ema must be in [0, 1), got " + inputEmaBeta);
    }
    if (resume && checkpointDir == null) {
      throw new IllegalArgumentException("--resume needs --checkpoint-dir");
    }
  }

  /** Tiny defaults for tests, overridden with the with-ers below. */
  public static TrainConfig defaults(int steps, int batch, double lr) {
    return new TrainConfig(
        steps,
        batch,
        lr,
        Math.min(steps - 1, steps / 10),
        1.0,
        0.5,
        0.0,
        0,
        42L,
        0.9,
        null,
        0,
        false,
        false);
  }

  public TrainConfig withCheckpoint(Path dir, int every, boolean resumeIt) {
    return new TrainConfig(
        steps,
        batch,
        lr,
        warmup,
        clip,
        orthCoef,
        weightDecay,
        evalEvery,
        seed,
        inputEmaBeta,
        dir,
        every,
        resumeIt,
        progress);
  }

  public TrainConfig withSteps(int newSteps) {
    return new TrainConfig(
        newSteps,
        batch,
        lr,
        warmup,
        clip,
        orthCoef,
        weightDecay,
        evalEvery,
        seed,
        inputEmaBeta,
        checkpointDir,
        checkpointEvery,
        resume,
        progress);
  }
}
